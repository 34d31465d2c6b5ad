"""In-memory incremental scorer: the streaming shell's algorithm without Kafka or SQL.

Per batch: store the new (deduped) events, move the watermarks, re-derive every buyer the
batch can affect, and add (new - old) contributions to the running totals. Because a
buyer's facts are a pure function of its events, the settings and the watermark, the
totals equal recompute.recompute for any order or batching of the same events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring.core.contributions import diff
from services.scoring.core.facts import BuyerFacts
from services.scoring.core.model import ChatMessage, Event, OrderEvent, ReviewEvent
from services.scoring.core.reviews import named_agents
from services.scoring.core.totals import Totals
from tests.scoring.recompute import BuyerKey, EventStore


@dataclass(slots=True)
class IncrementalScorer:
    settings_by_shop: Mapping[str, ShopSettings] = field(default_factory=dict)
    rules_by_shop: Mapping[str, QaRules] = field(default_factory=dict)
    store: EventStore = field(default_factory=EventStore)
    facts: dict[BuyerKey, BuyerFacts] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)

    def apply_batch(self, events: Iterable[Event]) -> set[BuyerKey]:
        """Apply new events; returns the buyers that were re-derived."""
        touched: set[BuyerKey] = set()
        orders: set[tuple[str, str]] = set()
        new_agents: dict[str, set[str]] = {}
        for event in events:
            known = self.store.agents.get(event.shop_id, set()).copy()
            if not self.store.add(event):
                continue  # duplicate event_id: the first one wins
            if not isinstance(event, ReviewEvent):  # a review touches its order's buyers
                touched.add((event.shop_id, event.buyer_id))
            if isinstance(event, OrderEvent | ReviewEvent):
                orders.add((event.shop_id, event.order_id))
            if isinstance(event, ChatMessage) and event.agent_id and event.agent_id not in known:
                new_agents.setdefault(event.shop_id, set()).add(event.agent_id)
        orders |= self._named_orders(new_agents)
        touched |= self._order_buyers(orders)
        touched |= self._woken()
        for key in sorted(touched):
            self._rederive(key)
        return touched

    def _named_orders(self, new_agents: Mapping[str, set[str]]) -> set[tuple[str, str]]:
        """Orders whose good reviews name an agent first seen now: their mentions change."""
        return {
            (shop, oid)
            for (shop, oid), reviews in self.store.reviews.items()
            if shop in new_agents
            for r in reviews
            if r.rating == "good" and named_agents(r.text, frozenset(new_agents[shop]))
        }

    def _order_buyers(self, orders: set[tuple[str, str]]) -> set[BuyerKey]:
        """Every buyer named by any event of a touched order: a late event may move the
        order from one buyer to another, and both must be re-derived."""
        return {
            (shop, e.buyer_id)
            for shop, oid in orders
            for e in self.store.order_events.get((shop, oid), ())
        }

    def _woken(self) -> set[BuyerKey]:
        """Buyers whose facts change now that the watermark passed their wake_at."""
        return {
            key
            for key, facts in self.facts.items()
            if facts.wake_at is not None and facts.wake_at < self.store.watermarks[key[0]]
        }

    def _rederive(self, key: BuyerKey) -> None:
        shop = key[0]
        settings = self.settings_by_shop.get(shop, ShopSettings())
        rules = self.rules_by_shop.get(shop, QaRules())
        new = self.store.derive(key, settings, rules)
        old = self.facts.get(key)
        self.totals.add(shop, diff(new.contributions, old.contributions if old else None))
        self.facts[key] = new
