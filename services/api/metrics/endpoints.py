"""GET /v1/metrics (SPEC §10)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shared.rollup_reader import GroupBy

from ..deps import CurrentShop
from ..exports.negotiation import EXPORT_RESPONSES, ExportDep
from . import service
from .cache import MetricsCache, MetricsKey
from .export import metrics_report
from .periods import MAX_RANGE_DAYS, Granularity
from .schemas import MetricsOut

router = APIRouter(tags=["metrics"])

# Also read by the fast path (fast_path.py), which must decline what the route refuses.
MAX_AGENT_IDS = 500
MAX_GROUP_CHARS = 100

FromQuery = Annotated[date, Query(alias="from", description="First local day (inclusive)")]
ToQuery = Annotated[date, Query(description=f"Last local day (inclusive; ≤ {MAX_RANGE_DAYS} days)")]


@router.get(
    "/metrics",
    response_model=MetricsOut,
    summary="Metrics per period, grouped by agent, group, mentor or shop",
    description=(
        "Sums the daily rollups of the days in [from, to] (a week or month row sums only "
        "its days inside the range; weeks are ISO weeks labelled by ISO year) and computes "
        "every ratio from the summed parts. group_by=mentor: one row per agent who mentors "
        "someone, summing the mentor and its direct apprentices. group_by=group: agents "
        'without a group are "ungrouped". Shop rows add placed_orders … cs_sales_share '
        "(whole-shop numbers, not narrowed by agent_id/group). Answers are cached per "
        "query until the shop's numbers change, so repeating a query is cheap and never "
        "stale. format=csv|xlsx (or Accept): the same rows as a file, a column per metric "
        "(GET /v1/metric-definitions), headers in lang=zh|en."
    ),
    responses=EXPORT_RESPONSES,
)
async def get_metrics(
    request: Request,
    shop: CurrentShop,
    from_: FromQuery,
    to: ToQuery,
    export: ExportDep,
    granularity: Granularity = "day",
    group_by: GroupBy = "agent",
    agent_id: Annotated[
        list[str] | None,
        Query(description="Only these agents (repeatable)", max_length=MAX_AGENT_IDS),
    ] = None,
    group: Annotated[
        str | None, Query(max_length=MAX_GROUP_CHARS, description="Only this group")
    ] = None,
) -> Response:
    asked: dict[str, Any] = {
        "shop_id": shop.shop_id,
        "start": from_,
        "end": to,
        "granularity": granularity,
        "group_by": group_by,
        "agent_ids": agent_id,
        "group": group,
    }
    query = service.metrics_query(**asked)
    if export is not None:
        return export.response(metrics_report(request.app.state.engine, query))
    cache: MetricsCache = request.app.state.metrics_cache
    key = MetricsKey.of(**asked)

    async def compute() -> bytes:
        # Read-only: an autocommit connection spares the BEGIN and COMMIT round trips
        # (each statement sees the latest commit either way, as in READ COMMITTED).
        async with request.app.state.autocommit_engine.connect() as conn:
            rows = await service.metric_rows(session=conn, query=query)
        return orjson.dumps(
            {
                "from": from_.isoformat(),
                "to": to.isoformat(),
                "granularity": granularity,
                "group_by": group_by,
                "rows": rows,
            }
        )

    body = await cache.get_or_compute(key, shop.rollup_version, compute)
    # Built and serialised directly (the hot path of every dashboard); response_model
    # documents the shape, tests hold the body to it.
    return Response(body, media_type="application/json")
