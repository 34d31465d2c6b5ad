"""GET /v1/violations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from domain.qa_rules import RULES

from ..deps import CurrentShop, SessionDep
from ..exports.negotiation import EXPORT_RESPONSES, ExportDep
from ..pagination import Page, PageDep
from . import service
from .export import violations_report
from .schemas import ViolationFilters, ViolationOut

router = APIRouter(tags=["qa"])

Rule = Literal[RULES]  # type: ignore[valid-type]


@router.get(
    "/violations",
    response_model=Page[ViolationOut],
    summary="QA violations, newest session day first",
    description="format=csv|xlsx (or Accept): every violation of the filters as a file (no pages).",
    responses=EXPORT_RESPONSES,
)
async def list_violations(
    request: Request,
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    export: ExportDep,
    rule: Rule | None = None,
    agent_id: Annotated[str | None, Query(max_length=128)] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> Page[ViolationOut] | Response:
    filters = ViolationFilters(shop.shop_id, rule, agent_id, from_, to)
    if export is not None:
        return export.response(violations_report(request.app.state.engine, filters))
    return await service.list_violations(
        session=session, filters=filters, cursor=page.cursor, limit=page.limit
    )
