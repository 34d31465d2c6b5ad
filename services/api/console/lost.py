"""The lost-inquiry review queue (询单流失): lost inquiries of a range, unreviewed first,
each with its mark; the summary of causes with buyers and the amount of orders placed
and not paid. Marks are written by services/api/review_marks, never here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.review_work import CAUSES
from shared.schema import inquiries, lost_inquiry_marks, order_events

MAX_QUEUE = 1000
_C, _M = inquiries.c, lost_inquiry_marks.c
UNMARKED = "unmarked"


@dataclass(frozen=True, slots=True)
class Entry:
    agent_id: str
    buyer_id: str
    day: date
    order_ids: tuple[str, ...]
    cause: str | None
    note: str
    reviewed: bool

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.agent_id, self.buyer_id, self.day)


@dataclass(frozen=True, slots=True)
class CauseLine:
    cause: str
    buyers: int
    unpaid_amount: Decimal


async def queue(
    session: AsyncSession, *, shop_id: str, start: date, end: date, agent_id: str | None
) -> list[Entry]:
    stmt = (
        select(_C.agent_id, _C.buyer_id, _C.day, _C.order_ids, _M.cause, _M.note, _M.reviewed)
        .select_from(
            inquiries.outerjoin(
                lost_inquiry_marks,
                and_(
                    _M.shop_id == _C.shop_id,
                    _M.buyer_id == _C.buyer_id,
                    _M.agent_id == _C.agent_id,
                    _M.day == _C.day,
                ),
            )
        )
        .where(
            _C.shop_id == shop_id,
            _C.kind == "presale",
            _C.status == "lost",
            _C.day >= start,
            _C.day <= end,
        )
        .order_by(
            func.coalesce(_M.reviewed, false()),
            _C.day.desc(),
            _C.agent_id.collate("C"),
            _C.buyer_id.collate("C"),
        )
        .limit(MAX_QUEUE)
    )
    if agent_id is not None:
        stmt = stmt.where(_C.agent_id == agent_id)
    return [
        Entry(
            r.agent_id,
            r.buyer_id,
            r.day,
            tuple(r.order_ids or ()),
            r.cause,
            r.note or "",
            bool(r.reviewed),
        )
        for r in await session.execute(stmt)
    ]


async def unpaid_amounts(
    session: AsyncSession, shop_id: str, order_ids: set[str]
) -> dict[str, Decimal]:
    """Placed and never paid: each order's created amount (orders with a paid event: none)."""
    if not order_ids:
        return {}
    o = order_events.c
    rows = await session.execute(
        select(o.order_id, o.type, o.amount).where(
            o.shop_id == shop_id,
            o.order_id.in_(sorted(order_ids)),
            o.type.in_(("order.created", "order.paid")),
        )
    )
    created: dict[str, Decimal] = {}
    paid: set[str] = set()
    for r in rows:
        if r.type == "order.paid":
            paid.add(r.order_id)
        elif r.amount is not None:
            created[r.order_id] = Decimal(r.amount)
    return {k: v for k, v in created.items() if k not in paid}


def summary(entries: list[Entry], unpaid: dict[str, Decimal]) -> list[CauseLine]:
    """One line per cause (catalogue order, then unmarked) with its buyers and unpaid amount."""
    buyers: dict[str, set[str]] = defaultdict(set)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for e in entries:
        cause = e.cause or UNMARKED
        buyers[cause].add(e.buyer_id)
        amounts[cause] += sum((unpaid.get(o, Decimal(0)) for o in e.order_ids), Decimal(0))
    return [CauseLine(c, len(buyers[c]), amounts[c]) for c in (*CAUSES, UNMARKED) if c in buyers]


def neighbours(
    entries: list[Entry], key: tuple[str, str, date]
) -> tuple[Entry | None, Entry | None]:
    """The entries before and after `key` in the queue (None at either end or if absent)."""
    keys = [e.key for e in entries]
    if key not in keys:
        return None, (entries[0] if entries else None)
    i = keys.index(key)
    return (entries[i - 1] if i > 0 else None), (entries[i + 1] if i + 1 < len(entries) else None)
