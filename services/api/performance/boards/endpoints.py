"""/v1/leaderboards/{best,most-improved} and /v1/mentors/{agent_id}/apprentices."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from domain.catalogue import Direction

from ...deps import CurrentShop, SessionDep
from ...exceptions import Unprocessable
from ...exports.negotiation import EXPORT_RESPONSES, ExportDep
from ...pagination import PageDep, PageParams
from ...problems import problem_responses
from ..params import NO_NUL, period_param
from . import service
from .export import board_report
from .schemas import LeaderboardOut, MentorViewOut

boards_router = APIRouter(prefix="/leaderboards", tags=["performance: leaderboards"])
mentors_router = APIRouter(prefix="/mentors", tags=["performance: mentors"])

MAX_RANGE_DAYS = 400

OptionalPeriod = Annotated[str | None, Query(max_length=16, pattern=NO_NUL, examples=["2026-W46"])]
Metric = Annotated[str, Query(max_length=64, pattern=NO_NUL, examples=["inquiry_conversion_rate"])]
PeriodQuery = Annotated[
    str,
    Query(
        max_length=16,
        pattern=NO_NUL,
        examples=["2026-W46"],
        description="ISO week or month; compared with the one before",
    ),
]
Group = Annotated[
    str | None, Query(max_length=128, pattern=NO_NUL, description="only agents of this group")
]
SampleMetric = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=NO_NUL,
        description="the count the minimum sample applies to; default: the metric's sample "
        "in the catalogue (its denominator for a ratio: inquiries for inquiry_conversion_rate)",
    ),
]
MinSample = Annotated[
    int,
    Query(
        ge=0,
        le=1_000_000_000,
        description="agents below it (in either period for most-improved) are left out",
    ),
]
Way = Annotated[
    Direction | None, Query(description="higher or lower is better; default: the metric's own")
]
_PERIOD_NOTE = (
    "The previous period is the previous ISO week of a week, the previous calendar month of "
    "a month. Only agents with a value and at least `min_sample` of `sample_metric` are "
    "ranked; equal values share a rank (1, 2, 2, 4), listed by agent_id."
)


def _board_query(
    metric: Metric,
    period: PeriodQuery,
    group: Group = None,
    sample_metric: SampleMetric = None,
    min_sample: MinSample = 0,
    direction: Way = None,
) -> service.BoardQuery:
    return service.BoardQuery(metric, period, group, sample_metric, min_sample, direction)


BoardDep = Annotated[service.BoardQuery, Depends(_board_query)]
EVERY_STANDING = 1_000_000_000  # an export lists every standing, not a page
_EXPORT_NOTE = " format=csv|xlsx (or Accept): every standing as a file (no pages)."


async def _board(
    shop_id: str,
    session: SessionDep,
    page: PageParams,
    query: service.BoardQuery,
    export: ExportDep,
    kind: service.Board,
) -> LeaderboardOut | Response:
    if export is None:
        return await service.board(
            session=session, shop_id=shop_id, kind=kind, query=query, page=page
        )
    everyone = PageParams(cursor=None, limit=EVERY_STANDING)
    board = await service.board(
        session=session, shop_id=shop_id, kind=kind, query=query, page=everyone
    )
    return export.response(board_report(board, kind))


@boards_router.get(
    "/best",
    response_model=LeaderboardOut,
    summary="Agents ranked by a metric over a period, with the change against the previous",
    description=_PERIOD_NOTE + " Best first in the metric's direction." + _EXPORT_NOTE,
    responses={**problem_responses(422), **EXPORT_RESPONSES},
)
async def best(
    shop: CurrentShop, session: SessionDep, page: PageDep, query: BoardDep, export: ExportDep
) -> LeaderboardOut | Response:
    return await _board(shop.shop_id, session, page, query, export, "best")


@boards_router.get(
    "/most-improved",
    response_model=LeaderboardOut,
    summary="进步最快: agents by improvement against the previous period",
    description=_PERIOD_NOTE + " Only agents qualifying in both periods, the largest "
    "improvement first." + _EXPORT_NOTE,
    responses={**problem_responses(422), **EXPORT_RESPONSES},
)
async def most_improved(
    shop: CurrentShop, session: SessionDep, page: PageDep, query: BoardDep, export: ExportDep
) -> LeaderboardOut | Response:
    return await _board(shop.shop_id, session, page, query, export, "most_improved")


def _range(period: str | None, start: date | None, end: date | None) -> tuple[date, date]:
    if period is not None:
        p = period_param(period)
        return p.first, p.last
    if start is None or end is None:
        raise Unprocessable.field(["query", "period"], "give ?period= or both ?from= and ?to=")
    if start > end:
        raise Unprocessable.field(["query", "from"], f"from ({start}) is after to ({end})")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise Unprocessable.field(["query", "to"], f"at most {MAX_RANGE_DAYS} days per request")
    return start, end


@mentors_router.get(
    "/{agent_id}/apprentices",
    response_model=MentorViewOut,
    summary="A mentor's view (师傅制): own metrics, each apprentice's, and the team's sum",
    responses=problem_responses(404, 422),
)
async def apprentices(
    shop: CurrentShop,
    session: SessionDep,
    agent_id: Annotated[str, Path(max_length=128, pattern=NO_NUL)],
    period: OptionalPeriod = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> MentorViewOut:
    first, last = _range(period, start, end)
    return await service.mentor(
        session=session, shop_id=shop.shop_id, mentor_id=agent_id, start=first, end=last
    )
