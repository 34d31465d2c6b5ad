"""What a batch of cs.events.v1 records touches, shop by shop.

The records are already valid (ingest validated and stored them), so reading them needs
only the few fields that say which buyers, orders and agents to re-derive and how far the
shop's watermark moves. The raw tables, not these records, are the source of truth for
the derivation itself. A body that still fails to read is logged and skipped: one bad
record never blocks the ones behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from services.scoring.timeline_cache import Arrival
from shared.contracts import Rejection, parse_event
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(slots=True)
class ShopTouches:
    """Everything one batch says about one shop."""

    shop_id: str
    max_event_at: datetime | None = None
    buyers: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)
    agents: set[str] = field(default_factory=set)
    events: int = 0
    # Every record, for the worker's timeline cache to take in.
    arrivals: list[Arrival] = field(default_factory=list)

    def see(self, at: datetime) -> None:
        if self.max_event_at is None or at > self.max_event_at:
            self.max_event_at = at


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("timestamp is not a string")
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("timestamp without offset")
    return at


Fields = tuple[str, str, str, str, str | None, str | None, datetime]


def _fields(raw: bytes) -> Fields:
    """(shop_id, event_id, type, buyer_id, order_id, agent_id, event time) of one body."""
    body = orjson.loads(raw)
    kind = body["type"]
    if kind == "chat.message":
        at, order_id = _timestamp(body["sent_at"]), None
    else:
        at, order_id = _timestamp(body["occurred_at"]), str(body["order_id"])
    agent = body.get("agent_id") if kind == "chat.message" else None
    shop_id, event_id, buyer_id = str(body["shop_id"]), str(body["event_id"]), str(body["buyer_id"])
    return shop_id, event_id, kind, buyer_id, order_id, agent, at


def _careful_fields(raw: bytes) -> Fields:
    """The slow path: the contract parser (e.g. 9-digit fractions of a second)."""
    parsed = parse_event(raw)
    if isinstance(parsed, Rejection):
        raise ValueError(f"{parsed.reason}: {parsed.detail}")
    event = parsed.event
    order_id = getattr(event, "order_id", None)
    agent = getattr(event, "agent_id", None)
    kind, at = event.type, event.occurred
    return event.shop_id, event.event_id, kind, event.buyer_id, order_id, agent, at


def read_touches(values: Iterable[tuple[bytes | None, str]]) -> dict[str, ShopTouches]:
    """Group (record value, source description) pairs by shop."""
    shops: dict[str, ShopTouches] = {}
    for raw, where in values:
        try:
            if raw is None:
                raise ValueError("record has no value")
            try:
                shop_id, event_id, _kind, buyer, order_id, agent, at = _fields(raw)
            except (ValueError, KeyError, TypeError):
                shop_id, event_id, _kind, buyer, order_id, agent, at = _careful_fields(raw)
        except Exception as exc:
            log.error("unreadable_event_skipped", source=where, error=str(exc)[:500])
            continue
        touched = shops.get(shop_id)
        if touched is None:
            touched = shops[shop_id] = ShopTouches(shop_id)
        touched.events += 1
        touched.see(at)
        touched.buyers.add(buyer)
        touched.arrivals.append(Arrival(shop_id, event_id, buyer, order_id))
        if order_id is not None:
            touched.orders.add(order_id)
        if agent:
            touched.agents.add(agent)
    return shops
