"""GET /v1/leaderboard."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ..deps import CurrentShop, SessionDep
from ..pagination import PageDep
from . import service
from .ranking import SAMPLE_OF
from .schemas import Leaderboard

router = APIRouter(tags=["leaderboard"])

Metric = Literal[tuple(SAMPLE_OF)]  # type: ignore[valid-type]


@router.get(
    "/leaderboard",
    response_model=Leaderboard,
    summary="Agents ranked by a metric, with the change against the previous period",
    description=(
        "The previous period has the same number of days and ends the day before `from`. "
        "Agents whose sample (the ratio's denominator; consultations for counts and money) "
        "is below min_sample are left out. Default order: ascending for metrics where less "
        "is better (response times, slow responses, unreplied, lost, refunds)."
    ),
)
async def get_leaderboard(
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    metric: Metric,  # type: ignore[valid-type]
    from_: Annotated[date, Query(alias="from")],
    to: date,
    group: Annotated[str | None, Query(max_length=100)] = None,
    min_sample: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    order: Literal["asc", "desc"] | None = None,
) -> dict[str, Any]:
    return await service.leaderboard(
        session=session,
        shop_id=shop.shop_id,
        metric=metric,
        start=from_,
        end=to,
        group=group,
        min_sample=min_sample,
        order=order,
        cursor=page.cursor,
        limit=page.limit,
    )
