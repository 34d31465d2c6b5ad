"""GET /console: the team page (a manager's home; an agent goes to its own page)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from domain.metrics import ROW_METRICS

from ..deps import SessionDep
from .auth import CurrentUser
from .context import parse_day, shop_context
from .periods import CHOICES, LABELS, period_of
from .render import page, request_lang
from .team import SHOP_HEADER, cell_formats, sort_lines, team, value_of

router = APIRouter()


@router.get("")
async def team_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    if not user.manager:
        return RedirectResponse(f"/console/agents/{user.agent_id}", status_code=303)
    q = request.query_params
    shop = await shop_context(request, session, user.shop_id)
    period = period_of(
        q.get("period"), shop.today, parse_day(q.get("from")), parse_day(q.get("to"))
    )
    group = q.get("group") or None
    data = await team(
        session,
        shop_id=user.shop_id,
        start=period.start,
        end=period.end,
        group=group,
        target_label=period.target_label,
        cache=request.app.state.console_numbers,
        engine=request.app.state.engine,
    )
    sort, descending = q.get("sort"), q.get("dir", "desc") == "desc"
    base = {"period": period.choice, "from": period.start.isoformat(), "to": period.end.isoformat()}
    if group:
        base["group"] = group
    return page(
        request,
        "team.html",
        user,
        currency=shop.currency,
        period=period,
        choices=[(c, LABELS[c]) for c in CHOICES],
        group=group,
        data=data,
        lines=sort_lines(data.lines, sort, descending),
        metrics=ROW_METRICS,
        header=SHOP_HEADER,
        formats=cell_formats(request_lang(request), shop.currency),
        value_of=value_of,
        sort=sort,
        descending=descending,
        query=lambda **more: urlencode({**base, **more}),
        export_query=urlencode(
            {"from": period.start.isoformat(), "to": period.end.isoformat(), "granularity": "total"}
        ),
    )
