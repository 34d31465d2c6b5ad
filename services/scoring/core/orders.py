"""Folding order events into orders (SPEC §2).

An order is placed by its earliest order.created (or earliest order.paid if there is no
created event), and that event's buyer_id is the order's buyer. Events of one order may
carry other buyer_ids; they still apply to the order, which is why the shell needs
`order_event_buyers` to know every buyer an order event can affect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from domain.days import zone_days

from .model import OrderEvent
from .timeline import ORDER_EVENT_KEY, dedupe

ZERO = Decimal(0)


@dataclass(slots=True, unsafe_hash=True)  # not frozen: see responses.Question
class Order:
    order_id: str
    buyer_id: str
    placed_at: datetime
    placed_by: Literal["order.created", "order.paid"]
    day: date  # local placement day: shop-level numbers count here
    paid_at: datetime | None
    paid_amount: Decimal  # sum of every order.paid amount (deposit + balance)
    cancelled_at: datetime | None
    refund_amount: Decimal  # sum of every refund, whenever it happened
    # The credited inquiry as (agent_id, inquiry day); None = silent. Set by derive
    # (attribution.attribute), on the orders it folded itself.
    attributed: tuple[str, date] | None = None

    @property
    def paid(self) -> bool:
        return self.paid_at is not None

    @property
    def silent(self) -> bool:
        return self.attributed is None


def _group(events: Iterable[OrderEvent]) -> dict[str, list[OrderEvent]]:
    grouped: dict[str, list[OrderEvent]] = {}
    for event in sorted(dedupe(events), key=ORDER_EVENT_KEY):
        grouped.setdefault(event.order_id, []).append(event)
    return grouped


def _placing_event(events: Sequence[OrderEvent]) -> OrderEvent | None:
    """Earliest created, else earliest paid; events are already in canonical order."""
    for kind in ("order.created", "order.paid"):
        for event in events:
            if event.type == kind:
                return event
    return None  # only cancelled/refunded events: never placed, counts nowhere


def _fold(events: Sequence[OrderEvent], timezone: str) -> Order | None:
    placing = _placing_event(events)
    if placing is None:
        return None
    paid_at = cancelled_at = None
    paid_amount = refund_amount = ZERO
    for e in events:  # in canonical order: the first paid/cancelled event is the earliest
        kind = e.type
        if kind == "order.paid":
            paid_at = paid_at or e.occurred_at
            paid_amount += e.amount or ZERO
        elif kind == "order.cancelled":
            cancelled_at = cancelled_at or e.occurred_at
        elif kind == "order.refunded":
            refund_amount += e.amount or ZERO
    return Order(
        order_id=placing.order_id,
        buyer_id=placing.buyer_id,
        placed_at=placing.occurred_at,
        placed_by="order.created" if placing.type == "order.created" else "order.paid",
        day=zone_days(timezone)[placing.occurred_at],
        paid_at=paid_at,
        paid_amount=paid_amount,
        cancelled_at=cancelled_at,
        refund_amount=refund_amount,
    )


def fold_orders(events: Iterable[OrderEvent], timezone: str) -> dict[str, Order]:
    """Every placed order among the events, by order_id (whatever its buyer)."""
    orders = {oid: _fold(evs, timezone) for oid, evs in _group(events).items()}
    return {oid: order for oid, order in orders.items() if order is not None}


def order_buyers(events: Iterable[OrderEvent]) -> dict[str, str]:
    """order_id -> the order's buyer (buyer_id of its placing event); unplaced orders left out."""
    buyers: dict[str, str] = {}
    for order_id, evs in _group(events).items():
        placing = _placing_event(evs)
        if placing is not None:
            buyers[order_id] = placing.buyer_id
    return buyers


def order_event_buyers(events: Iterable[OrderEvent]) -> dict[str, set[str]]:
    """order_id -> every buyer_id carried by any of its events.

    A new event of an order can move the order's buyer (a late, earlier order.created),
    so re-derive all of these buyers whenever an event of the order arrives.
    """
    buyers: dict[str, set[str]] = {}
    for event in events:
        buyers.setdefault(event.order_id, set()).add(event.buyer_id)
    return buyers
