"""GET /console/export/{report}: the console's export buttons, the very files of the /v1
report routes (services/api/exports), for the signed-in manager's shop."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from domain.days import zone

from ..deps import SessionDep
from ..exceptions import NotFound, Unprocessable
from ..exports.negotiation import Export
from ..inquiries.export import inquiries_report
from ..inquiries.schemas import InquiryFilters
from ..metrics.export import metrics_report
from ..metrics.service import metrics_query
from ..performance.plans.export import bonus_report
from ..performance.plans.results import ResultsQuery, plan_bonuses
from .auth import CurrentUser
from .context import parse_day, shop_context
from .formatting import lang_of

router = APIRouter()


@router.get("/export/{report}")
async def export(report: str, request: Request, user: CurrentUser, session: SessionDep) -> Response:
    q = request.query_params
    fmt = q.get("format")
    if fmt not in ("csv", "xlsx"):
        raise Unprocessable.field(["query", "format"], "format must be csv or xlsx")
    start, end = parse_day(q.get("from")), parse_day(q.get("to"))
    if start is None or end is None:
        raise Unprocessable.field(["query", "from"], "from and to are local days (YYYY-MM-DD)")
    shop = await shop_context(request, session, user.shop_id)
    out = Export(fmt, lang_of(q.get("lang")), user.shop_id, shop.currency, zone(shop.timezone))  # type: ignore[arg-type]
    engine = request.app.state.engine
    own = None if user.manager else user.agent_id
    if report == "metrics":
        query = metrics_query(
            shop_id=user.shop_id,
            start=start,
            end=end,
            granularity="total",
            group_by="agent",
            agent_ids=None if own is None else [own],
        )
        return out.response(metrics_report(engine, query))
    if report == "lost-inquiries":
        return out.response(
            inquiries_report(
                engine,
                InquiryFilters(user.shop_id, status="lost", start=start, end=end, agent_id=own),
            )
        )
    if report == "bonus":
        user.require_manager()
        asked = ResultsQuery(q.get("plan_id", ""), q.get("period", ""), None, None)
        plan, sheet = await plan_bonuses(session=session, shop_id=user.shop_id, query=asked)
        return out.response(bonus_report(plan, sheet))
    raise NotFound(f"no report {report!r}; metrics, lost-inquiries or bonus")
