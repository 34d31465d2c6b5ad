"""SQL of the bad-review list: order_reviews rated bad, each with its mark."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select

from shared.db import stream_rows
from shared.schema import bad_review_marks, order_reviews, shops

_R = order_reviews.c
_M = bad_review_marks.c
_JOINED = order_reviews.outerjoin(
    bad_review_marks, and_(_M.shop_id == _R.shop_id, _M.order_id == _R.order_id)
)


def _statement(
    *,
    shop_id: str,
    start: date | None,
    end: date | None,
    agent_id: str | None,
    cause: str | None,
    reviewed: bool | None,
    after: tuple[date, str] | None = None,
) -> Select[Any]:
    """Newest review day first, then order_id in code-point order; `after`: the (day,
    order_id) of the previous page's last row."""
    stmt = select(
        _R.order_id,
        _R.buyer_id,
        _R.placed_at,
        _R.agent_id,
        _R.inquiry_day,
        _R.event_id,
        _R.posted_at,
        _R.day,
        _R.rating,
        _R.text,
        _R.dsr_item,
        _R.dsr_service,
        _R.dsr_logistics,
        _M.cause.label("mark_cause"),
        _M.note.label("mark_note"),
        _M.reviewed.label("mark_reviewed"),
        _M.created_at.label("mark_created_at"),
        _M.updated_at.label("mark_updated_at"),
    )
    stmt = stmt.select_from(_JOINED).where(_R.shop_id == shop_id, _R.rating == "bad")
    if start is not None:
        stmt = stmt.where(_R.day >= start)
    if end is not None:
        stmt = stmt.where(_R.day <= end)
    if agent_id is not None:
        stmt = stmt.where(_R.agent_id == agent_id)
    if cause is not None:
        stmt = stmt.where(_M.cause == cause)
    if reviewed is not None:
        stmt = stmt.where(func.coalesce(_M.reviewed, false()) == reviewed)
    order_id = _R.order_id.collate("C")
    if after is not None:
        stmt = stmt.where(or_(_R.day < after[0], and_(_R.day == after[0], order_id > after[1])))
    return stmt.order_by(_R.day.desc(), order_id)


async def shop_settings(session: AsyncSession | AsyncConnection, shop_id: str) -> dict[str, Any]:
    found = await session.scalar(select(shops.c.settings).where(shops.c.shop_id == shop_id))
    return dict(found or {})


async def list_bad_reviews(
    session: AsyncSession, *, after: tuple[date, str] | None, limit: int, **filters: Any
) -> list[Any]:
    stmt = _statement(after=after, **filters)
    return list((await session.execute(stmt.limit(limit))).all())


async def stream_bad_reviews(conn: AsyncConnection, **filters: Any) -> AsyncIterator[Any]:
    """Every row of list_bad_reviews' order, from a server-side cursor (in a transaction)."""
    async for row in stream_rows(conn, _statement(**filters)):
        yield row
