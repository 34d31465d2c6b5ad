"""Plain batch recomputation: derive every buyer once with the final watermark and sum.

This is the reference the streaming results are held equal to (SPEC §5,
order-independence): the tests' own, over the scoring core's derivation rules (the
services' admin rescore derives through services/scoring/derivation.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring.core.derive import derive_buyer
from services.scoring.core.facts import BuyerFacts
from services.scoring.core.model import ChatMessage, Event, OrderEvent, ReviewEvent, event_time
from services.scoring.core.totals import Totals

BuyerKey = tuple[str, str]  # (shop_id, buyer_id)


@dataclass(slots=True)
class EventStore:
    """Valid events grouped the way derivation needs them, deduped by (shop, event_id)."""

    seen: dict[str, set[str]] = field(default_factory=dict)
    messages: dict[BuyerKey, list[ChatMessage]] = field(default_factory=dict)
    order_events: dict[tuple[str, str], list[OrderEvent]] = field(default_factory=dict)
    buyer_orders: dict[BuyerKey, set[str]] = field(default_factory=dict)  # any event's buyer
    reviews: dict[tuple[str, str], list[ReviewEvent]] = field(default_factory=dict)  # by order
    agents: dict[str, set[str]] = field(default_factory=dict)  # agent_ids on chat messages
    watermarks: dict[str, datetime] = field(default_factory=dict)

    def add(self, event: Event) -> bool:
        """Store a new event; False (and nothing stored) for an already-seen event_id."""
        seen = self.seen.setdefault(event.shop_id, set())
        if event.event_id in seen:
            return False
        seen.add(event.event_id)
        key = (event.shop_id, event.buyer_id)
        if isinstance(event, ChatMessage):
            self.messages.setdefault(key, []).append(event)
            if event.agent_id is not None:  # any sender (SPEC §11 "the shop's agents")
                self.agents.setdefault(event.shop_id, set()).add(event.agent_id)
        elif isinstance(event, ReviewEvent):  # belongs to its order, not to its buyer_id
            self.reviews.setdefault((event.shop_id, event.order_id), []).append(event)
        else:
            self.order_events.setdefault((event.shop_id, event.order_id), []).append(event)
            self.buyer_orders.setdefault(key, set()).add(event.order_id)
        # Every valid event moves the watermark: bot, system, unassigned, orders too.
        current = self.watermarks.get(event.shop_id)
        if current is None or event_time(event) > current:
            self.watermarks[event.shop_id] = event_time(event)
        return True

    def buyers(self) -> set[BuyerKey]:
        return set(self.messages) | set(self.buyer_orders)

    def order_events_of(self, key: BuyerKey) -> list[OrderEvent]:
        """Every event of every order any of whose events names this buyer."""
        shop = key[0]
        return [
            e
            for order_id in sorted(self.buyer_orders.get(key, ()))
            for e in self.order_events[(shop, order_id)]
        ]

    def reviews_of(self, key: BuyerKey) -> list[ReviewEvent]:
        """The reviews of every order any of whose events names this buyer."""
        shop = key[0]
        return [
            r
            for order_id in sorted(self.buyer_orders.get(key, ()))
            for r in self.reviews.get((shop, order_id), ())
        ]

    def derive(self, key: BuyerKey, settings: ShopSettings, rules: QaRules) -> BuyerFacts:
        return derive_buyer(
            self.messages.get(key, []),
            self.order_events_of(key),
            settings,
            rules,
            self.watermarks[key[0]],
            buyer_id=key[1],
            reviews=self.reviews_of(key),
            agents=frozenset(self.agents.get(key[0], ())),
        )


def derive_all(
    events: Iterable[Event],
    settings_by_shop: Mapping[str, ShopSettings] | None = None,
    rules_by_shop: Mapping[str, QaRules] | None = None,
) -> dict[BuyerKey, BuyerFacts]:
    """Facts of every buyer named by any event (shops missing from the maps: defaults)."""
    store = EventStore()
    for event in events:
        store.add(event)
    settings_by_shop = settings_by_shop or {}
    rules_by_shop = rules_by_shop or {}
    return {
        key: store.derive(
            key, settings_by_shop.get(key[0], ShopSettings()), rules_by_shop.get(key[0], QaRules())
        )
        for key in sorted(store.buyers())
    }


def recompute(
    events: Iterable[Event],
    settings_by_shop: Mapping[str, ShopSettings] | None = None,
    rules_by_shop: Mapping[str, QaRules] | None = None,
) -> Totals:
    totals = Totals()
    for (shop, _), facts in derive_all(events, settings_by_shop, rules_by_shop).items():
        totals.add(shop, facts.contributions)
    return totals
