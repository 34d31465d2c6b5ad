"""SQL sums of the daily rollups, per period and per agent / group / mentor / shop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from sqlalchemy import BigInteger, ColumnElement, func, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from shared.schema import (
    AGENT_DAY_COUNTS,
    AGENT_DAY_MONEY,
    SHOP_DAY_COUNTS,
    SHOP_DAY_MONEY,
    agent_daily,
    agents,
    shop_daily,
)

from .periods import Granularity, period_label

GroupBy = Literal["agent", "group", "mentor", "shop"]
UNGROUPED = "ungrouped"


def _sums(table: Any, counts: Sequence[str], money: Sequence[str]) -> list[ColumnElement[Any]]:
    # SUM(bigint) is numeric in Postgres: cast back so counts stay ints.
    return [func.sum(table.c[n]).cast(BigInteger).label(n) for n in counts] + [
        func.sum(table.c[n]).label(n) for n in money
    ]


def _mentor_map(shop_id: str) -> Any:
    """(member, mentor): each apprentice under its mentor, and each mentor under itself."""
    has_mentor = (agents.c.shop_id == shop_id) & agents.c.mentor_id.is_not(None)
    apprentices = select(agents.c.agent_id.label("member"), agents.c.mentor_id.label("mentor"))
    mentors = select(agents.c.mentor_id.label("member"), agents.c.mentor_id.label("mentor"))
    return union_all(apprentices.where(has_mentor), mentors.where(has_mentor).distinct()).subquery()


def agent_query(
    *,
    shop_id: str,
    start: date,
    end: date,
    granularity: Granularity,
    group_by: GroupBy,
    agent_ids: Sequence[str] | None,
    group: str | None,
) -> Select[Any]:
    d = agent_daily
    period = period_label(d.c.day, granularity).label("period")
    source: Any = d
    key: ColumnElement[Any]
    group_name = func.coalesce(agents.c.group_name, literal_column(f"'{UNGROUPED}'"))
    if group_by == "group" or group is not None:
        source = source.outerjoin(
            agents, (agents.c.shop_id == d.c.shop_id) & (agents.c.agent_id == d.c.agent_id)
        )
    if group_by == "mentor":
        mentor_map = _mentor_map(shop_id)
        source = source.join(mentor_map, mentor_map.c.member == d.c.agent_id)
        key = mentor_map.c.mentor
    elif group_by == "group":
        key = group_name
    elif group_by == "agent":
        key = d.c.agent_id
    else:
        key = literal_column("NULL")
    stmt = (
        select(period, key.label("key"), *_sums(d, AGENT_DAY_COUNTS, AGENT_DAY_MONEY))
        .select_from(source)
        .where(d.c.shop_id == shop_id, d.c.day >= start, d.c.day <= end)
    )
    if agent_ids:
        stmt = stmt.where(d.c.agent_id.in_(list(agent_ids)))
    if group is not None:
        stmt = stmt.where(group_name == group)
    # COLLATE "C": agent ids order by code point (SPEC §4).
    # Postgres refuses constants in GROUP BY ('total', NULL): group by what varies.
    by_period = [period] if granularity != "total" else []
    if group_by == "shop":
        return stmt.group_by(*by_period).having(func.count() > 0).order_by(*by_period)
    return stmt.group_by(*by_period, key).order_by(*by_period, key.collate("C"))


async def agent_sums(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.execute(stmt)).all())


async def shop_sums(
    session: AsyncSession, *, shop_id: str, start: date, end: date, granularity: Granularity
) -> list[Any]:
    s = shop_daily
    period = period_label(s.c.day, granularity).label("period")
    stmt = (
        select(period, *_sums(s, SHOP_DAY_COUNTS, SHOP_DAY_MONEY))
        .where(s.c.shop_id == shop_id, s.c.day >= start, s.c.day <= end)
        .group_by(*([period] if granularity != "total" else []))
        .having(func.count() > 0)
    )
    return list((await session.execute(stmt)).all())
