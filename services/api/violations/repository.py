"""SQL of the stored QA violations (SPEC §6 drill-down)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select

from shared.db import stream_rows
from shared.schema import violations

from .schemas import ViolationFilters

_V = violations.c
# (day, buyer, agent, session start, seq) of the last row of the previous page.
After = tuple[date, str, str, datetime, int]


def _statement(f: ViolationFilters, after: After | None = None) -> Select[Any]:
    """Newest day first, then buyer, agent (code-point order), session and sequence."""
    stmt = select(
        _V.buyer_id,
        _V.agent_id,
        _V.session_started_at,
        _V.seq,
        _V.day,
        _V.rule,
        _V.message_event_id,
        _V.occurrences,
        _V.penalty,
        _V.detail,
    ).where(_V.shop_id == f.shop_id)
    for column, value in ((_V.rule, f.rule), (_V.agent_id, f.agent_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.start is not None:
        stmt = stmt.where(_V.day >= f.start)
    if f.end is not None:
        stmt = stmt.where(_V.day <= f.end)
    key = (_V.buyer_id.collate("C"), _V.agent_id.collate("C"), _V.session_started_at, _V.seq)
    if after is not None:
        after_day, *rest = after
        stmt = stmt.where(
            or_(_V.day < after_day, and_(_V.day == after_day, tuple_(*key) > tuple_(*rest)))
        )
    return stmt.order_by(_V.day.desc(), *key)


async def list_violations(
    session: AsyncSession, filters: ViolationFilters, *, after: After | None, limit: int
) -> list[Any]:
    stmt = _statement(filters, after)
    return list((await session.execute(stmt.limit(limit))).all())


async def stream_violations(conn: AsyncConnection, filters: ViolationFilters) -> AsyncIterator[Any]:
    """Every row of list_violations' order, from a server-side cursor (in a transaction)."""
    async for row in stream_rows(conn, _statement(filters)):
        yield row
