"""SQL for agents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.performance.rollups import AgentInfo
from shared.schema import agents

_COLUMNS = (
    agents.c.agent_id,
    agents.c.display_name,
    agents.c.group_name.label("group"),
    agents.c.mentor_id,
    agents.c.first_seen_at,
    agents.c.updated_at,
)


async def fetch_agent(session: AsyncSession, *, shop_id: str, agent_id: str) -> Any | None:
    stmt = select(*_COLUMNS).where(agents.c.shop_id == shop_id, agents.c.agent_id == agent_id)
    return (await session.execute(stmt)).one_or_none()


async def fetch_agents(
    session: AsyncSession, *, shop_id: str, group: str | None, after: str | None, limit: int
) -> list[Any]:
    stmt = select(*_COLUMNS).where(agents.c.shop_id == shop_id)
    if group is not None:
        stmt = stmt.where(agents.c.group_name == group)
    if after is not None:
        stmt = stmt.where(agents.c.agent_id.collate("C") > after)
    # COLLATE "C": agent ids compare in code-point order (SPEC §4).
    stmt = stmt.order_by(agents.c.agent_id.collate("C")).limit(limit)
    return list((await session.execute(stmt)).all())


async def update_agent(
    session: AsyncSession, *, shop_id: str, agent_id: str, values: dict[str, Any]
) -> None:
    await session.execute(
        update(agents)
        .where(agents.c.shop_id == shop_id, agents.c.agent_id == agent_id)
        .values(**values, updated_at=func.now())
    )


async def mentor_chain(session: AsyncSession, *, shop_id: str, start: str) -> list[str]:
    """start, its mentor, that one's mentor, … (stops at a repeat)."""
    chain: list[str] = []
    current: str | None = start
    while current is not None and current not in chain:
        chain.append(current)
        current = await session.scalar(
            select(agents.c.mentor_id).where(
                agents.c.shop_id == shop_id, agents.c.agent_id == current
            )
        )
    return chain


async def agent_infos(session: AsyncSession, *, shop_id: str) -> list[AgentInfo]:
    """Every agent of the shop with its group and mentor."""
    stmt = select(agents.c.agent_id, agents.c.group_name, agents.c.mentor_id).where(
        agents.c.shop_id == shop_id
    )
    rows = (await session.execute(stmt)).all()
    return [AgentInfo(r.agent_id, r.group_name, r.mentor_id) for r in rows]
