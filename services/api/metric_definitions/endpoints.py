"""GET /v1/metric-definitions."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CurrentShop
from ..pagination import Page, PageDep, decode_cursor, encode_cursor
from . import service
from .schemas import MetricDefinition

router = APIRouter(tags=["metrics"])


@router.get(
    "/metric-definitions",
    response_model=Page[MetricDefinition],
    summary="Every metric: labels, kind, unit, direction, formula and default sample",
    description="The catalogue every number of this API is computed from, in the order "
    "of /v1/metrics rows: for dashboards, exports and BI tools that label and format "
    "the metrics without hard-coding them. The same for every shop.",
)
async def list_metric_definitions(_: CurrentShop, page: PageDep) -> Page[MetricDefinition]:
    offset = int(decode_cursor(page.cursor, int)[0]) if page.cursor else 0
    items, after = service.page(offset, page.limit)
    return Page(items=items, next_cursor=None if after is None else encode_cursor([after]))
