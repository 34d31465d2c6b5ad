"""/v1/bonus-plans and /v1/honour-plans: plans, and what they give each agent in a period."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ...deps import CurrentShop, SessionDep
from ...pagination import Page, PageDep
from ...problems import problem_responses
from ..params import NO_NUL
from . import results, service
from .schemas import (
    BonusPlanIn,
    BonusPlanOut,
    BonusReport,
    HonourPlanIn,
    HonourPlanOut,
    LevelReport,
)

bonus_router = APIRouter(prefix="/bonus-plans", tags=["performance: bonus plans"])
honour_router = APIRouter(prefix="/honour-plans", tags=["performance: honour levels"])

PlanId = Annotated[str, Path(max_length=64, pattern=NO_NUL)]
PeriodQuery = Annotated[
    str,
    Query(
        max_length=16,
        pattern=NO_NUL,
        description="ISO week (2026-W46) or month (2026-11), of the plan's kind",
        examples=["2026-W46"],
    ),
]
AgentQuery = Annotated[
    str | None, Query(max_length=128, pattern=NO_NUL, description="only this agent")
]
GroupQuery = Annotated[
    str | None, Query(max_length=128, pattern=NO_NUL, description="only this group")
]


@bonus_router.post(
    "",
    status_code=201,
    response_model=BonusPlanOut,
    summary="Create a tiered bonus plan",
    description="Invalid plans (unknown metric or rule, tiers out of order or overlapping, a "
    "higher tier paying less, a non-positive step) are a 422 naming every defect.",
    responses=problem_responses(422),
)
async def create_bonus_plan(
    shop: CurrentShop, session: SessionDep, body: BonusPlanIn, response: Response
) -> BonusPlanOut:
    plan = await service.create_plan(
        session=session, kind=service.BONUS, shop_id=shop.shop_id, body=body
    )
    response.headers["Location"] = f"/v1/bonus-plans/{plan.id}"
    return plan


@bonus_router.get("", response_model=Page[BonusPlanOut], summary="The shop's bonus plans")
async def list_bonus_plans(
    shop: CurrentShop, session: SessionDep, page: PageDep
) -> Page[BonusPlanOut]:
    return await service.list_plans(
        session=session,
        kind=service.BONUS,
        shop_id=shop.shop_id,
        cursor=page.cursor,
        limit=page.limit,
    )


@bonus_router.get(
    "/{plan_id}",
    response_model=BonusPlanOut,
    summary="A bonus plan",
    responses=problem_responses(404),
)
async def get_bonus_plan(shop: CurrentShop, session: SessionDep, plan_id: PlanId) -> BonusPlanOut:
    return await service.get_plan(
        session=session, kind=service.BONUS, shop_id=shop.shop_id, plan_id=plan_id
    )


@bonus_router.put(
    "/{plan_id}",
    response_model=BonusPlanOut,
    summary="Replace a bonus plan",
    responses=problem_responses(404, 422),
)
async def replace_bonus_plan(
    shop: CurrentShop, session: SessionDep, plan_id: PlanId, body: BonusPlanIn
) -> BonusPlanOut:
    return await service.replace_plan(
        session=session, kind=service.BONUS, shop_id=shop.shop_id, plan_id=plan_id, body=body
    )


@bonus_router.delete(
    "/{plan_id}", status_code=204, summary="Delete a bonus plan", responses=problem_responses(404)
)
async def delete_bonus_plan(shop: CurrentShop, session: SessionDep, plan_id: PlanId) -> Response:
    await service.delete_plan(
        session=session, kind=service.BONUS, shop_id=shop.shop_id, plan_id=plan_id
    )
    return Response(status_code=204)


@bonus_router.get(
    "/{plan_id}/bonuses",
    response_model=BonusReport,
    summary="Each agent's bonus for a period, with the breakdown",
    description="Agents with activity in the period (or `agent_id`), in agent_id order. "
    "total = max(0, tier amount + steps beyond the top tier − deductions).",
    responses=problem_responses(404, 422),
)
async def bonuses(
    shop: CurrentShop,
    session: SessionDep,
    plan_id: PlanId,
    period: PeriodQuery,
    agent_id: AgentQuery = None,
    group: GroupQuery = None,
) -> BonusReport:
    return await results.bonuses(
        session=session,
        shop_id=shop.shop_id,
        plan_id=plan_id,
        period_label=period,
        agent_id=agent_id,
        group=group,
    )


@honour_router.post(
    "",
    status_code=201,
    response_model=HonourPlanOut,
    summary="Create an honour level plan (铜牌/银牌/金牌/钻石), lowest level first",
    responses=problem_responses(422),
)
async def create_honour_plan(
    shop: CurrentShop, session: SessionDep, body: HonourPlanIn, response: Response
) -> HonourPlanOut:
    plan = await service.create_plan(
        session=session, kind=service.HONOUR, shop_id=shop.shop_id, body=body
    )
    response.headers["Location"] = f"/v1/honour-plans/{plan.id}"
    return plan


@honour_router.get("", response_model=Page[HonourPlanOut], summary="The shop's honour plans")
async def list_honour_plans(
    shop: CurrentShop, session: SessionDep, page: PageDep
) -> Page[HonourPlanOut]:
    return await service.list_plans(
        session=session,
        kind=service.HONOUR,
        shop_id=shop.shop_id,
        cursor=page.cursor,
        limit=page.limit,
    )


@honour_router.get(
    "/{plan_id}",
    response_model=HonourPlanOut,
    summary="An honour plan",
    responses=problem_responses(404),
)
async def get_honour_plan(shop: CurrentShop, session: SessionDep, plan_id: PlanId) -> HonourPlanOut:
    return await service.get_plan(
        session=session, kind=service.HONOUR, shop_id=shop.shop_id, plan_id=plan_id
    )


@honour_router.put(
    "/{plan_id}",
    response_model=HonourPlanOut,
    summary="Replace an honour plan",
    responses=problem_responses(404, 422),
)
async def replace_honour_plan(
    shop: CurrentShop, session: SessionDep, plan_id: PlanId, body: HonourPlanIn
) -> HonourPlanOut:
    return await service.replace_plan(
        session=session, kind=service.HONOUR, shop_id=shop.shop_id, plan_id=plan_id, body=body
    )


@honour_router.delete(
    "/{plan_id}",
    status_code=204,
    summary="Delete an honour plan",
    responses=problem_responses(404),
)
async def delete_honour_plan(shop: CurrentShop, session: SessionDep, plan_id: PlanId) -> Response:
    await service.delete_plan(
        session=session, kind=service.HONOUR, shop_id=shop.shop_id, plan_id=plan_id
    )
    return Response(status_code=204)


@honour_router.get(
    "/{plan_id}/levels",
    response_model=LevelReport,
    summary="Each agent's level for a period, with every requirement held or failed",
    description="An agent holds the highest level whose requirements all hold.",
    responses=problem_responses(404, 422),
)
async def levels(
    shop: CurrentShop,
    session: SessionDep,
    plan_id: PlanId,
    period: PeriodQuery,
    agent_id: AgentQuery = None,
    group: GroupQuery = None,
) -> LevelReport:
    return await results.levels(
        session=session,
        shop_id=shop.shop_id,
        plan_id=plan_id,
        period_label=period,
        agent_id=agent_id,
        group=group,
    )
