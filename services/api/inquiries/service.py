"""Listing inquiries by status, newest day first."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import inquiries

from ..links import transcript_url
from ..metrics.periods import check_range
from ..pagination import decode_cursor, page_of
from .schemas import InquiryStatus

_C = inquiries.c


async def list_inquiries(
    *,
    session: AsyncSession,
    shop_id: str,
    status: InquiryStatus | None,
    start: date | None,
    end: date | None,
    agent_id: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    if start is not None and end is not None:
        check_range(start, end)
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
    if cursor:
        day, after_buyer, after_agent = decode_cursor(cursor, str, str, str)
        try:
            after_day = date.fromisoformat(str(day))
        except ValueError:
            after_day = date.min
        stmt = stmt.where(
            or_(
                _C.day < after_day,
                and_(_C.day == after_day, tuple_(buyer, agent) > tuple_(after_buyer, after_agent)),
            )
        )
    stmt = stmt.order_by(_C.day.desc(), buyer, agent).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.day.isoformat(), r.buyer_id, r.agent_id])
    return [
        {
            **r._asdict(),
            "order_ids": list(r.order_ids),
            "transcript_url": transcript_url(r.buyer_id, r.day, r.day),
        }
        for r in page
    ], next_cursor
