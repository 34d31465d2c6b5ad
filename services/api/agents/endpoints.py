"""/v1/agents: the shop's agents; set group, mentor and display name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ..deps import CurrentShop, SessionDep
from ..pagination import Page, PageDep
from ..problems import problem_responses
from . import service
from .schemas import AgentOut, AgentUpdate

router = APIRouter(prefix="/agents", tags=["agents"])

AgentIdPath = Annotated[str, Path(max_length=128)]


@router.get("", response_model=Page[AgentOut], summary="The shop's agents (by agent_id)")
async def list_agents(
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    group: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[AgentOut]:
    return await service.list_agents(
        session=session, shop_id=shop.shop_id, group=group, cursor=page.cursor, limit=page.limit
    )


@router.get(
    "/{agent_id}", response_model=AgentOut, summary="One agent", responses=problem_responses(404)
)
async def get_agent(agent_id: AgentIdPath, shop: CurrentShop, session: SessionDep) -> AgentOut:
    return await service.get_agent(session=session, shop_id=shop.shop_id, agent_id=agent_id)


@router.patch(
    "/{agent_id}",
    response_model=AgentOut,
    summary="Set an agent's group, mentor or display name",
    responses=problem_responses(404),
)
async def update_agent(
    agent_id: AgentIdPath, change: AgentUpdate, shop: CurrentShop, session: SessionDep
) -> AgentOut:
    return await service.update_agent(
        session=session, shop_id=shop.shop_id, agent_id=agent_id, change=change
    )
