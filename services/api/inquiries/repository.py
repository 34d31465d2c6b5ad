"""SQL of the inquiries table (pre-sale consultations with a status), each row with its
review mark (SPEC §11 review work)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import and_, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select

from shared.db import stream_rows
from shared.schema import inquiries, lost_inquiry_marks

from .schemas import InquiryFilters

_C = inquiries.c
_M = lost_inquiry_marks.c
_JOINED = inquiries.outerjoin(
    lost_inquiry_marks,
    and_(
        _M.shop_id == _C.shop_id,
        _M.buyer_id == _C.buyer_id,
        _M.agent_id == _C.agent_id,
        _M.day == _C.day,
    ),
)


def _statement(f: InquiryFilters, after: tuple[date, str, str] | None = None) -> Select[Any]:
    """Newest day first, then buyer and agent in code-point order; `after`: the (day,
    buyer, agent) of the last row of the previous page. Each row carries its review mark
    (mark_* columns, null without one); `reviewed=False` includes the unmarked."""
    # Pre-sale consultations only: after- and mid-sale ones have no status.
    stmt = select(
        _C.buyer_id,
        _C.agent_id,
        _C.day,
        _C.status,
        _C.first_buyer_at,
        _C.last_buyer_at,
        _C.order_ids,
        _M.cause.label("mark_cause"),
        _M.note.label("mark_note"),
        _M.reviewed.label("mark_reviewed"),
        _M.created_at.label("mark_created_at"),
        _M.updated_at.label("mark_updated_at"),
    )
    stmt = stmt.select_from(_JOINED).where(
        _C.shop_id == f.shop_id, _C.kind == "presale", _C.status.is_not(None)
    )
    if f.status is not None:
        stmt = stmt.where(_C.status == f.status)
    if f.start is not None:
        stmt = stmt.where(_C.day >= f.start)
    if f.end is not None:
        stmt = stmt.where(_C.day <= f.end)
    if f.agent_id is not None:
        stmt = stmt.where(_C.agent_id == f.agent_id)
    if f.cause is not None:
        stmt = stmt.where(_M.cause == f.cause)
    if f.reviewed is not None:
        # Not reviewed: no mark, or a mark not (yet) reviewed.
        stmt = stmt.where(func.coalesce(_M.reviewed, false()) == f.reviewed)
    buyer, agent = _C.buyer_id.collate("C"), _C.agent_id.collate("C")
    if after is not None:
        after_day, after_buyer, after_agent = after
        stmt = stmt.where(
            or_(
                _C.day < after_day,
                and_(_C.day == after_day, tuple_(buyer, agent) > tuple_(after_buyer, after_agent)),
            )
        )
    return stmt.order_by(_C.day.desc(), buyer, agent)


async def list_inquiries(
    session: AsyncSession,
    filters: InquiryFilters,
    *,
    after: tuple[date, str, str] | None,
    limit: int,
) -> list[Any]:
    stmt = _statement(filters, after)
    return list((await session.execute(stmt.limit(limit))).all())


async def stream_inquiries(conn: AsyncConnection, filters: InquiryFilters) -> AsyncIterator[Any]:
    """Every row of list_inquiries' order, from a server-side cursor (in a transaction)."""
    async for row in stream_rows(conn, _statement(filters)):
        yield row
