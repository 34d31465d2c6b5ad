"""GET /v1/inquiries."""

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
from .export import inquiries_report
from .schemas import InquiryFilters, InquiryOut, InquiryStatus

router = APIRouter(tags=["inquiries"])


@router.get(
    "/inquiries",
    response_model=Page[InquiryOut],
    summary="Inquiries by status (status=lost: the lost-inquiry review list)",
    description="Newest day first; each links to the buyer's transcript of that day and "
    "carries its review mark (PUT /v1/review-marks/lost-inquiries). Filters: status, the "
    "inquiry's local days [from, to] (one day: from = to), agent_id, the mark's cause, and "
    "reviewed (false: not yet reviewed, unmarked ones included). format=csv|xlsx (or "
    "Accept): every inquiry of the filters as a file (no pages), marks as columns.",
    responses=EXPORT_RESPONSES,
)
async def list_inquiries(
    request: Request,
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    export: ExportDep,
    status: InquiryStatus | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    agent_id: Annotated[str | None, Query(max_length=128)] = None,
    cause: Cause | None = None,
    reviewed: bool | None = None,
) -> Page[InquiryOut] | Response:
    filters = InquiryFilters(shop.shop_id, status, from_, to, agent_id, cause, reviewed)
    if export is not None:
        return export.response(inquiries_report(request.app.state.engine, filters))
    return await service.list_inquiries(
        session=session, filters=filters, cursor=page.cursor, limit=page.limit
    )
