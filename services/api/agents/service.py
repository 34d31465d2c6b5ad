"""Listing agents and setting their group, mentor and display name."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.rollup_version import bump_rollup_version

from ..exceptions import NotFound, Unprocessable
from ..pagination import Page, decode_cursor, page_of
from . import repository
from .schemas import AgentOut, AgentUpdate


async def list_agents(
    *, session: AsyncSession, shop_id: str, group: str | None, cursor: str | None, limit: int
) -> Page[AgentOut]:
    after = str(decode_cursor(cursor, str)[0]) if cursor else None
    rows = await repository.fetch_agents(
        session, shop_id=shop_id, group=group, after=after, limit=limit + 1
    )
    page, next_cursor = page_of(rows, limit, lambda r: [r.agent_id])
    return Page(items=[AgentOut(**r._asdict()) for r in page], next_cursor=next_cursor)


async def get_agent(*, session: AsyncSession, shop_id: str, agent_id: str) -> AgentOut:
    row = await repository.fetch_agent(session, shop_id=shop_id, agent_id=agent_id)
    if row is None:
        raise NotFound(f"agent {agent_id!r} does not exist in this shop")
    return AgentOut(**row._asdict())


async def _check_mentor(session: AsyncSession, *, shop_id: str, agent_id: str, mentor: str) -> None:
    """The mentor is an agent of the same shop, and no agent ends up its own mentor."""
    if await repository.fetch_agent(session, shop_id=shop_id, agent_id=mentor) is None:
        raise Unprocessable.field(
            ["body", "mentor_id"], f"mentor {mentor!r} is not an agent of this shop"
        )
    if agent_id in await repository.mentor_chain(session, shop_id=shop_id, start=mentor):
        raise Unprocessable.field(
            ["body", "mentor_id"], f"{mentor!r} as mentor of {agent_id!r} would make a cycle"
        )


# Agent fields that /v1/metrics reads (group_by=group/mentor, ?group=): changing one
# invalidates the shop's cached metrics.
_METRICS_INPUTS = ("group", "mentor_id")


async def update_agent(
    *, session: AsyncSession, shop_id: str, agent_id: str, change: AgentUpdate
) -> AgentOut:
    current = await get_agent(session=session, shop_id=shop_id, agent_id=agent_id)
    fields = change.model_dump(exclude_unset=True)
    if fields.get("mentor_id") is not None:
        await _check_mentor(session, shop_id=shop_id, agent_id=agent_id, mentor=fields["mentor_id"])
    values = {("group_name" if k == "group" else k): v for k, v in fields.items()}
    if values:
        await repository.update_agent(session, shop_id=shop_id, agent_id=agent_id, values=values)
    if any(name in fields and fields[name] != getattr(current, name) for name in _METRICS_INPUTS):
        await bump_rollup_version(session=session, shop_ids=[shop_id])
    return await get_agent(session=session, shop_id=shop_id, agent_id=agent_id)
