"""GET /v1/bad-reviews: the bad-review list (SPEC §11 review work)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from domain.review_work import Cause

from ..deps import CurrentShop, SessionDep
from ..exports.negotiation import EXPORT_RESPONSES, ExportDep
from ..pagination import Page, PageDep
from . import service
from .export import bad_reviews_report
from .schemas import BadReviewOut

router = APIRouter(tags=["review work"])


@router.get(
    "/bad-reviews",
    response_model=Page[BadReviewOut],
    summary="Bad reviews (差评): the manager's daily list",
    description="Orders whose review (their latest review.posted) is bad, newest review day "
    "first: the service agent (null for a silent order), the review, a link to the buyer's "
    "transcripts from aftersale_lookback days before the order's placement to the review, "
    "and the order's mark (PUT /v1/review-marks/bad-reviews). An order whose review is "
    "changed to one that is not bad leaves the list (its mark stays). Filters: the review's "
    "local days [from, to], agent_id (the service agent), the mark's cause, reviewed "
    "(false: not yet reviewed, unmarked ones included). format=csv|xlsx (or Accept): every "
    "bad review of the filters as a file (no pages), review, DSR and mark as columns.",
    responses=EXPORT_RESPONSES,
)
async def list_bad_reviews(
    request: Request,
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    export: ExportDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    agent_id: Annotated[str | None, Query(max_length=128)] = None,
    cause: Cause | None = None,
    reviewed: bool | None = None,
) -> Page[BadReviewOut] | Response:
    if export is not None:
        return export.response(
            bad_reviews_report(
                request.app.state.engine,
                shop_id=shop.shop_id,
                start=from_,
                end=to,
                agent_id=agent_id,
                cause=cause,
                reviewed=reviewed,
            )
        )
    return await service.list_bad_reviews(
        session=session,
        shop_id=shop.shop_id,
        start=from_,
        end=to,
        agent_id=agent_id,
        cause=cause,
        reviewed=reviewed,
        cursor=page.cursor,
        limit=page.limit,
    )
