"""SQL of the inquiries table (pre-sale consultations with a status)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import inquiries

_C = inquiries.c


async def list_inquiries(
    session: AsyncSession,
    *,
    shop_id: str,
    status: str | None,
    start: date | None,
    end: date | None,
    agent_id: str | None,
    after: tuple[date, str, str] | None,
    limit: int,
) -> list[Any]:
    """Newest day first, then buyer and agent in code-point order; `after`: the (day,
    buyer, agent) of the last row of the previous page."""
    # Pre-sale consultations only: after- and mid-sale ones have no status.
    stmt = select(
        _C.buyer_id,
        _C.agent_id,
        _C.day,
        _C.status,
        _C.first_buyer_at,
        _C.last_buyer_at,
        _C.order_ids,
    ).where(_C.shop_id == shop_id, _C.kind == "presale", _C.status.is_not(None))
    if status is not None:
        stmt = stmt.where(_C.status == status)
    if start is not None:
        stmt = stmt.where(_C.day >= start)
    if end is not None:
        stmt = stmt.where(_C.day <= end)
    if agent_id is not None:
        stmt = stmt.where(_C.agent_id == agent_id)
    buyer, agent = _C.buyer_id.collate("C"), _C.agent_id.collate("C")
    if after is not None:
        after_day, after_buyer, after_agent = after
        stmt = stmt.where(
            or_(
                _C.day < after_day,
                and_(_C.day == after_day, tuple_(buyer, agent) > tuple_(after_buyer, after_agent)),
            )
        )
    stmt = stmt.order_by(_C.day.desc(), buyer, agent).limit(limit)
    return list((await session.execute(stmt)).all())
