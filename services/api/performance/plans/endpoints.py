"""/v1/bonus-plans and /v1/honour-plans: plans, and what they give each agent in a period.

Both kinds have the same life cycle (create, list, read, replace, delete): `_life_cycle`
mounts its routes on each kind's router, typed with that kind's bodies. (No `from
__future__ import annotations` here: the routes' annotations are the kind's classes,
evaluated when the routes are made.)
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from ...deps import CurrentShop, SessionDep
from ...exports.negotiation import EXPORT_RESPONSES, ExportDep
from ...pagination import Page, PageDep
from ...problems import problem_responses
from ..params import NO_NUL
from . import results, service
from .export import bonus_report, level_report
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


def _life_cycle(
    router: APIRouter,
    kind: service.PlanKind[Any, Any],
    body: Any,
    out: Any,
    *,
    path: str,
    create_note: str,
) -> None:
    """POST, GET (list), GET, PUT, DELETE of one kind of plan on its router."""
    noun = kind.noun

    async def create(shop: CurrentShop, session: SessionDep, plan: body, response: Response) -> out:
        created = await service.create_plan(
            session=session, kind=kind, shop_id=shop.shop_id, body=plan
        )
        response.headers["Location"] = f"/v1/{path}/{created.id}"
        return created

    async def list_(shop: CurrentShop, session: SessionDep, page: PageDep) -> Page[out]:
        return await service.list_plans(
            session=session, kind=kind, shop_id=shop.shop_id, cursor=page.cursor, limit=page.limit
        )

    async def get(shop: CurrentShop, session: SessionDep, plan_id: PlanId) -> out:
        return await service.get_plan(
            session=session, kind=kind, shop_id=shop.shop_id, plan_id=plan_id
        )

    async def replace(shop: CurrentShop, session: SessionDep, plan_id: PlanId, plan: body) -> out:
        return await service.replace_plan(
            session=session, kind=kind, shop_id=shop.shop_id, plan_id=plan_id, body=plan
        )

    async def delete(shop: CurrentShop, session: SessionDep, plan_id: PlanId) -> Response:
        await service.delete_plan(session=session, kind=kind, shop_id=shop.shop_id, plan_id=plan_id)
        return Response(status_code=204)

    name = noun.replace(" ", "_")
    a = "an" if noun.startswith("honour") else "a"
    for endpoint, verb in (
        (create, "create"),
        (list_, "list_many"),
        (get, "get"),
        (replace, "replace"),
        (delete, "delete"),
    ):
        # the OpenAPI operation ids: create_bonus_plan, list_bonus_plans, …
        endpoint.__name__ = f"list_{name}s" if verb == "list_many" else f"{verb}_{name}"
    router.add_api_route(
        "",
        create,
        methods=["POST"],
        status_code=201,
        response_model=out,
        summary=f"Create {a} {noun}",
        description=create_note,
        responses=problem_responses(422),
    )
    router.add_api_route(
        "", list_, methods=["GET"], response_model=Page[out], summary=f"The shop's {noun}s"
    )
    router.add_api_route(
        "/{plan_id}",
        get,
        methods=["GET"],
        response_model=out,
        summary=f"{a.capitalize()} {noun}",
        responses=problem_responses(404),
    )
    router.add_api_route(
        "/{plan_id}",
        replace,
        methods=["PUT"],
        response_model=out,
        summary=f"Replace {a} {noun}",
        responses=problem_responses(404, 422),
    )
    router.add_api_route(
        "/{plan_id}",
        delete,
        methods=["DELETE"],
        status_code=204,
        summary=f"Delete {a} {noun}",
        responses=problem_responses(404),
    )


_life_cycle(
    bonus_router,
    service.BONUS,
    BonusPlanIn,
    BonusPlanOut,
    path="bonus-plans",
    create_note="A tiered bonus plan. Invalid plans (unknown metric or rule, tiers out of "
    "order or overlapping, a higher tier paying less, a non-positive step) are a 422 naming "
    "every defect.",
)
_life_cycle(
    honour_router,
    service.HONOUR,
    HonourPlanIn,
    HonourPlanOut,
    path="honour-plans",
    create_note="Honour levels (铜牌/银牌/金牌/钻石), lowest level first.",
)


def _results_query(
    plan_id: PlanId, period: PeriodQuery, agent_id: AgentQuery = None, group: GroupQuery = None
) -> results.ResultsQuery:
    return results.ResultsQuery(plan_id, period, agent_id, group)


ResultsDep = Annotated[results.ResultsQuery, Depends(_results_query)]


@bonus_router.get(
    "/{plan_id}/bonuses",
    response_model=BonusReport,
    summary="Each agent's bonus for a period, with the breakdown",
    description="Agents with activity in the period (or `agent_id`), in agent_id order. "
    "total = max(0, tier amount + steps beyond the top tier − deductions). "
    "format=csv|xlsx (or Accept): the payroll sheet, an agent a row, a deduction rule its "
    "violations and amount.",
    responses={**problem_responses(404, 422), **EXPORT_RESPONSES},
)
async def bonuses(
    shop: CurrentShop, session: SessionDep, query: ResultsDep, export: ExportDep
) -> BonusReport | Response:
    plan, report = await results.plan_bonuses(session=session, shop_id=shop.shop_id, query=query)
    return report if export is None else export.response(bonus_report(plan, report))


@honour_router.get(
    "/{plan_id}/levels",
    response_model=LevelReport,
    summary="Each agent's level for a period, with every requirement held or failed",
    description="An agent holds the highest level whose requirements all hold. "
    "format=csv|xlsx (or Accept): an agent a row, the metrics the requirements read, then "
    "whether each level is held.",
    responses={**problem_responses(404, 422), **EXPORT_RESPONSES},
)
async def levels(
    shop: CurrentShop, session: SessionDep, query: ResultsDep, export: ExportDep
) -> LevelReport | Response:
    plan, report = await results.plan_levels(session=session, shop_id=shop.shop_id, query=query)
    return report if export is None else export.response(level_report(plan, report))
