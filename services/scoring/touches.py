"""What a batch of cs.events.v1 records touches, shop by shop.

The records are already valid (ingest validated and stored them), so reading them needs
only the few fields that say which buyers, orders and agents to re-derive and how far the
shop's watermark moves. The raw tables, not these records, are the source of truth for
the derivation itself. A body that still fails to read is logged and skipped: one bad
record never blocks the ones behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

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
    # Orders a review.posted of the batch names (SPEC §11): cached timelines holding
    # them are read again, reviews included.
    reviewed: set[str] = field(default_factory=set)
    events: int = 0
    # Every record, for the worker's timeline cache to take in.
    arrivals: list[Arrival] = field(default_factory=list)


# A record read: what it names for the timeline cache, its agent_id, its event time,
# whether it is a review.posted.
Read = tuple[Arrival, str | None, datetime, bool]

# Arrival(...) runs NamedTuple's Python-level __new__; tuple.__new__ builds the same value
# in C, and _quick makes one per record.
_TUPLE = tuple.__new__
_loads = orjson.loads
_fromisoformat = datetime.fromisoformat


def _quick(raw: bytes) -> Read:
    """The few fields straight from the JSON; raises on anything not as the contract has
    it (then _careful decides)."""
    body = _loads(raw)
    kind = body["type"]
    if kind == "chat.message":
        at, order_id, agent = _fromisoformat(body["sent_at"]), None, body.get("agent_id")
        if agent is not None and type(agent) is not str:
            raise TypeError("agent_id is not a string")
    else:
        stamp = body["posted_at"] if kind == "review.posted" else body["occurred_at"]
        at, order_id, agent = _fromisoformat(stamp), body["order_id"], None
        if type(order_id) is not str:
            raise TypeError("order_id is not a string")
    arrival = _TUPLE(Arrival, (body["shop_id"], body["event_id"], body["buyer_id"], order_id))
    if at.tzinfo is None or not (
        type(arrival[0]) is str and type(arrival[1]) is str and type(arrival[2]) is str
    ):
        raise TypeError("not as the contract has it")
    return arrival, agent, at, kind == "review.posted"


def _careful(raw: bytes | None) -> Read:
    """The slow path: the contract parser (e.g. a lower-case "t" or "z"). Raises
    ValueError for a body that is not a valid event at all."""
    if raw is None:
        raise ValueError("record has no value")
    parsed = parse_event(raw)
    if isinstance(parsed, Rejection):
        raise ValueError(f"{parsed.reason}: {parsed.detail}")
    event = parsed.event
    order_id = getattr(event, "order_id", None)
    arrival = Arrival(event.shop_id, event.event_id, event.buyer_id, order_id)
    return arrival, getattr(event, "agent_id", None), event.occurred, event.type == "review.posted"


def _read(raw: bytes | None, tp: TopicPartition, offset: int) -> Read | None:
    try:
        try:
            return _quick(raw)  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError):
            return _careful(raw)
    except Exception as exc:
        source = f"{tp.topic}/{tp.partition}@{offset}"
        log.error("unreadable_event_skipped", source=source, error=str(exc)[:500])
        return None


def read_touches(
    records: Mapping[TopicPartition, Sequence[ConsumerRecord]],  # type: ignore[type-arg]
) -> dict[str, ShopTouches]:
    """Group a batch's records by shop (once per record: keep it lean)."""
    shops: dict[str, ShopTouches] = {}
    for tp, recs in records.items():
        for rec in recs:
            read = _read(rec.value, tp, rec.offset)
            if read is None:
                continue
            arrival, agent, at, review = read
            touched = shops.get(arrival[0])
            if touched is None:
                touched = shops[arrival[0]] = ShopTouches(arrival[0])
            touched.events += 1
            if touched.max_event_at is None or at > touched.max_event_at:
                touched.max_event_at = at
            touched.arrivals.append(arrival)
            order_id = arrival[3]
            if review and order_id is not None:  # touches its order's buyers, not its own
                touched.orders.add(order_id)
                touched.reviewed.add(order_id)
                continue
            touched.buyers.add(arrival[2])
            if order_id is not None:
                touched.orders.add(order_id)
            if agent:
                touched.agents.add(agent)
    return shops
