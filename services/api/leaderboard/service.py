"""Leaderboards: agents ranked over a range, compared with the previous range of equal
length (e.g. 2026-11-09…15 against 2026-11-02…08)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.parts import AgentDayParts

from ..metrics import repository as metrics_sql
from ..metrics.periods import check_range
from ..pagination import decode_cursor, encode_cursor
from . import ranking


async def agent_parts(
    *, session: AsyncSession, shop_id: str, start: date, end: date, group: str | None
) -> dict[str, AgentDayParts]:
    query = metrics_sql.AgentQuery(
        shop_id=shop_id, start=start, end=end, granularity="total", group_by="agent", group=group
    )
    return {key: parts for _, key, parts in await metrics_sql.agent_sums(session, query)}


def previous_range(start: date, end: date) -> tuple[date, date]:
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


async def leaderboard(
    *,
    session: AsyncSession,
    shop_id: str,
    metric: str,
    start: date,
    end: date,
    group: str | None,
    min_sample: int,
    order: ranking.Order | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    check_range(start, end)
    offset = int(decode_cursor(cursor, int)[0]) if cursor else 0
    order = order or ranking.default_order(metric)
    prev_start, prev_end = previous_range(start, end)
    current = await agent_parts(session=session, shop_id=shop_id, start=start, end=end, group=group)
    previous = await agent_parts(
        session=session, shop_id=shop_id, start=prev_start, end=prev_end, group=group
    )
    rows = ranking.entries(current, previous, metric=metric, min_sample=min_sample, order=order)
    page = rows[offset : offset + limit]
    more = offset + limit < len(rows)
    return {
        "metric": metric,
        "order": order,
        "from": start,
        "to": end,
        "previous_from": prev_start,
        "previous_to": prev_end,
        "entries": page,
        "next_cursor": encode_cursor([offset + limit]) if more else None,
    }
