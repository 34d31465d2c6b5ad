"""Reads of agent_daily and agents: each agent's parts summed over periods of local days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.parts import AgentDayParts
from services.performance.rollups import AgentInfo
from shared.schema import AGENT_DAY_COUNTS, AGENT_DAY_MONEY, agent_daily, agents

# Agents without a group are filtered and shown as this, as /v1/metrics does.
UNGROUPED = "ungrouped"


def _sums() -> list[ColumnElement[Any]]:
    # SUM(bigint) is numeric in Postgres: cast back so counts stay ints.
    counts: list[ColumnElement[Any]] = [
        func.sum(agent_daily.c[n]).cast(BigInteger).label(n) for n in AGENT_DAY_COUNTS
    ]
    return counts + [func.sum(agent_daily.c[n]).label(n) for n in AGENT_DAY_MONEY]


def _parts(row: Any) -> AgentDayParts:
    return AgentDayParts(**{f: row._mapping[f] for f in AgentDayParts.FIELDS})


def _in_group(shop_id: str, group: str) -> Any:
    members = select(agents.c.agent_id).where(
        agents.c.shop_id == shop_id, func.coalesce(agents.c.group_name, UNGROUPED) == group
    )
    if group == UNGROUPED:  # agents never seen in `agents` have no group either
        known = select(agents.c.agent_id).where(agents.c.shop_id == shop_id)
        return agent_daily.c.agent_id.in_(members) | agent_daily.c.agent_id.not_in(known)
    return agent_daily.c.agent_id.in_(members)


async def parts_by_agent(
    session: AsyncSession,
    *,
    shop_id: str,
    start: date,
    end: date,
    agent_ids: Sequence[str] | None = None,
    group: str | None = None,
) -> dict[str, AgentDayParts]:
    """Each agent with at least one agent_daily row in [start, end]: its summed parts."""
    d = agent_daily
    stmt = select(d.c.agent_id, *_sums()).where(
        d.c.shop_id == shop_id, d.c.day >= start, d.c.day <= end
    )
    if agent_ids is not None:
        stmt = stmt.where(d.c.agent_id.in_(list(agent_ids)))
    if group is not None:
        stmt = stmt.where(_in_group(shop_id, group))
    rows = (await session.execute(stmt.group_by(d.c.agent_id))).all()
    return {row.agent_id: _parts(row) for row in rows}


async def agent_infos(session: AsyncSession, *, shop_id: str) -> list[AgentInfo]:
    stmt = select(agents.c.agent_id, agents.c.group_name, agents.c.mentor_id).where(
        agents.c.shop_id == shop_id
    )
    rows = (await session.execute(stmt)).all()
    return [AgentInfo(r.agent_id, r.group_name, r.mentor_id) for r in rows]
