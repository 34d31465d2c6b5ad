"""/v1/targets: per-agent targets per ISO week or month, each shown with its attainment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ...deps import CurrentShop, SessionDep
from ...pagination import Page, PageDep
from ...problems import problem_responses
from ..params import NO_NUL
from . import service
from .schemas import TargetIn, TargetOut, TargetPatch

router = APIRouter(prefix="/targets", tags=["performance: targets"])

OptionalPeriod = Annotated[str | None, Query(max_length=16, pattern=NO_NUL, examples=["2026-W46"])]
TargetId = Annotated[str, Path(max_length=64, pattern=NO_NUL)]


@router.post(
    "",
    status_code=201,
    response_model=TargetOut,
    summary="Set an agent's target on a metric for a week or month",
    description="One target per agent, period and metric (409 if it exists). `met` uses "
    "`comparison`: by default >= for a metric whose direction is higher and <= for one "
    "whose direction is lower (GET /v1/metric-definitions).",
    responses=problem_responses(409, 422),
)
async def create_target(
    shop: CurrentShop, session: SessionDep, body: TargetIn, response: Response
) -> TargetOut:
    created = await service.create_target(session=session, shop_id=shop.shop_id, body=body)
    response.headers["Location"] = f"/v1/targets/{created.id}"
    return created


@router.get(
    "",
    response_model=Page[TargetOut],
    summary="Targets with their attainment, oldest first",
    responses=problem_responses(422),
)
async def list_targets(
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    period: OptionalPeriod = None,
    agent_id: Annotated[str | None, Query(max_length=128, pattern=NO_NUL)] = None,
    metric: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
) -> Page[TargetOut]:
    return await service.list_targets(
        session=session,
        shop_id=shop.shop_id,
        filters={"period": period, "agent_id": agent_id, "metric": metric},
        cursor=page.cursor,
        limit=page.limit,
    )


@router.get(
    "/{target_id}",
    response_model=TargetOut,
    summary="A target with its attainment",
    responses=problem_responses(404),
)
async def get_target(shop: CurrentShop, session: SessionDep, target_id: TargetId) -> TargetOut:
    return await service.get_target(session=session, shop_id=shop.shop_id, target_id=target_id)


@router.patch(
    "/{target_id}",
    response_model=TargetOut,
    summary="Change a target's value or comparison",
    responses=problem_responses(404, 422),
)
async def patch_target(
    shop: CurrentShop, session: SessionDep, target_id: TargetId, patch: TargetPatch
) -> TargetOut:
    return await service.patch_target(
        session=session, shop_id=shop.shop_id, target_id=target_id, patch=patch
    )


@router.delete(
    "/{target_id}", status_code=204, summary="Delete a target", responses=problem_responses(404)
)
async def delete_target(shop: CurrentShop, session: SessionDep, target_id: TargetId) -> Response:
    await service.delete_target(session=session, shop_id=shop.shop_id, target_id=target_id)
    return Response(status_code=204)
