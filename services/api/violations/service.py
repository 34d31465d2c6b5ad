"""Listing QA violations, newest day first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import violations

from ..exceptions import Unprocessable
from ..links import transcript_url
from ..metrics.periods import check_range
from ..pagination import decode_cursor, page_of

_V = violations.c


def _after(cursor: str) -> Any:
    day, buyer, agent, started, seq = decode_cursor(cursor, str, str, str, str, int)
    try:
        after_day, after_start = date.fromisoformat(day), datetime.fromisoformat(started)
    except ValueError:
        raise Unprocessable.field(
            ["query", "cursor"], "cursor is not one this API returned"
        ) from None
    key = tuple_(_V.buyer_id.collate("C"), _V.agent_id.collate("C"), _V.session_started_at, _V.seq)
    return or_(
        _V.day < after_day,
        and_(_V.day == after_day, key > tuple_(buyer, agent, after_start, seq)),
    )


async def list_violations(
    *,
    session: AsyncSession,
    shop_id: str,
    rule: str | None,
    agent_id: str | None,
    start: date | None,
    end: date | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    if start is not None and end is not None:
        check_range(start, end)
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
    ).where(_V.shop_id == shop_id)
    for column, value in ((_V.rule, rule), (_V.agent_id, agent_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if start is not None:
        stmt = stmt.where(_V.day >= start)
    if end is not None:
        stmt = stmt.where(_V.day <= end)
    if cursor:
        stmt = stmt.where(_after(cursor))
    stmt = stmt.order_by(
        _V.day.desc(),
        _V.buyer_id.collate("C"),
        _V.agent_id.collate("C"),
        _V.session_started_at,
        _V.seq,
    ).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = page_of(
        rows,
        limit,
        lambda r: [
            r.day.isoformat(),
            r.buyer_id,
            r.agent_id,
            r.session_started_at.isoformat(),
            r.seq,
        ],
    )
    return [
        {**r._asdict(), "transcript_url": transcript_url(r.buyer_id, r.day, r.day)} for r in page
    ], next_cursor
