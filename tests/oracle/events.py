"""Oracle input layer: SPEC §2 event dicts -> plain records (times as int µs since the epoch).

Deliberately naive and independent of the production core: a hand-written RFC 3339 parser,
Decimal money, first-wins dedupe by (shop_id, event_id), and an order fold that follows the
§2 sentences one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_SECOND = 1_000_000

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def parse_time_us(text: str) -> int:
    """RFC 3339 with offset -> µs since the epoch (UTC). Fractions finer than 1 µs are cut."""
    m = _RFC3339.match(text)
    if m is None:
        raise ValueError(f"not an RFC 3339 timestamp with offset: {text!r}")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(6, "0")[:6]
    leap = 1 if second == 60 else 0  # a leap second is one second after :59
    local = datetime(year, month, day, hour, minute, second - leap, int(frac))
    if m.group(8):
        offset = timedelta(0)
    else:
        sign = 1 if m.group(9) == "+" else -1
        offset = sign * timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
    utc = local - offset + timedelta(seconds=leap)
    delta = utc - EPOCH.replace(tzinfo=None)
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def local_day(t_us: int, tz: ZoneInfo) -> date:
    return (EPOCH + timedelta(microseconds=t_us)).astimezone(tz).date()


def seconds_to_us(seconds: int | float | str | Decimal) -> int:
    """Exact conversion of a settings duration (any numeric form) to µs, floored."""
    return int(Decimal(str(seconds)) * US_PER_SECOND)


@dataclass(frozen=True)
class Msg:
    event_id: str
    buyer: str
    agent: str | None
    sender: str
    t: int
    msg_type: str
    text: str

    @property
    def key(self) -> tuple[int, str]:
        """§2: messages are ordered by sent_at, then by event_id in code-point order."""
        return (self.t, self.event_id)


@dataclass(frozen=True)
class OrderEv:
    event_id: str
    type: str
    order_id: str
    buyer: str
    t: int
    amount: Decimal | None


@dataclass
class Order:
    order_id: str
    buyer: str | None = None
    placed: int | None = None
    paid: int | None = None
    paid_amount: Decimal = Decimal(0)
    cancelled: int | None = None
    refunds: Decimal = Decimal(0)
    placed_by_paid: bool = False
    events: list[OrderEv] = field(default_factory=list)


def dedupe(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """First wins per (shop_id, event_id), in the given order."""
    seen: set[tuple[str, str]] = set()
    kept: list[Mapping[str, Any]] = []
    for ev in events:
        k = (ev["shop_id"], ev["event_id"])
        if k in seen:
            continue
        seen.add(k)
        kept.append(ev)
    return kept


def event_time_us(ev: Mapping[str, Any]) -> int:
    if ev["type"] == "chat.message":
        return parse_time_us(ev["sent_at"])
    if ev["type"] == "review.posted":
        return parse_time_us(ev["posted_at"])
    return parse_time_us(ev["occurred_at"])


@dataclass(frozen=True)
class Review:
    """SPEC §11 review.posted: dsr holds the keys present with their integer scores."""

    event_id: str
    order_id: str
    t: int
    rating: str
    text: str
    dsr: dict[str, int]


def to_review(ev: Mapping[str, Any]) -> Review:
    raw = ev.get("dsr")
    dsr = {} if raw is None else {k: raw[k] for k in ("item", "service", "logistics") if k in raw}
    return Review(
        ev["event_id"],
        ev["order_id"],
        parse_time_us(ev["posted_at"]),
        ev["rating"],
        ev["text"],
        dsr,
    )


def to_msg(ev: Mapping[str, Any]) -> Msg:
    return Msg(
        event_id=ev["event_id"],
        buyer=ev["buyer_id"],
        agent=ev["agent_id"],
        sender=ev["sender"],
        t=parse_time_us(ev["sent_at"]),
        msg_type=ev.get("msg_type") or "text",
        text=ev["text"],
    )


def to_order_ev(ev: Mapping[str, Any]) -> OrderEv:
    amount = ev.get("amount")
    return OrderEv(
        event_id=ev["event_id"],
        type=ev["type"],
        order_id=ev["order_id"],
        buyer=ev["buyer_id"],
        t=parse_time_us(ev["occurred_at"]),
        amount=None if amount is None else Decimal(amount),
    )


def fold_orders(order_evs: list[OrderEv]) -> dict[str, Order]:
    """§2 order lifecycle, one sentence at a time."""
    by_id: dict[str, list[OrderEv]] = {}
    for oe in order_evs:
        by_id.setdefault(oe.order_id, []).append(oe)
    orders: dict[str, Order] = {}
    for order_id, evs in by_id.items():
        evs = sorted(evs, key=lambda e: (e.t, e.event_id))
        o = Order(order_id=order_id, events=evs)
        created = [e for e in evs if e.type == "order.created"]
        paid = [e for e in evs if e.type == "order.paid"]
        cancelled = [e for e in evs if e.type == "order.cancelled"]
        refunded = [e for e in evs if e.type == "order.refunded"]
        placing = created[0] if created else (paid[0] if paid else None)
        if placing is not None:
            o.placed = placing.t
            o.buyer = placing.buyer
            o.placed_by_paid = not created
        if paid:
            o.paid = paid[0].t
            o.paid_amount = sum((e.amount or Decimal(0) for e in paid), Decimal(0))
        if cancelled:
            o.cancelled = cancelled[0].t
        o.refunds = sum((e.amount or Decimal(0) for e in refunded), Decimal(0))
        orders[order_id] = o
    return orders
