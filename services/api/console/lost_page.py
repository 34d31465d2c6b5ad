"""GET /console/lost (the queue), GET /console/lost/inquiry (one inquiry's transcript and
mark), POST /console/lost/mark (a manager marks a cause: the review marks service; a
first mark moves on to the next inquiry of the queue, so that number keys alone work
through it)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from domain.review_work import CAUSE_LABELS, CAUSES

from ..deps import SessionDep
from ..exceptions import NotFound, Unprocessable
from ..review_marks.schemas import LostInquiryMarkIn
from ..review_marks.service import mark_lost_inquiry
from ..shop_settings.service import get_settings
from ..transcripts.service import transcript
from . import lost
from .auth import ConsoleUser, CurrentUser, check_csrf
from .context import ShopContext, parse_day, shop_context
from .conversation import lines
from .forms import form_of
from .render import page
from .team import agent_names

router = APIRouter()
DEFAULT_DAYS = 7
INQUIRY_URL = "/console/lost/inquiry"


def _range(request: Request, shop: ShopContext) -> tuple[date, date]:
    q = request.query_params
    end = parse_day(q.get("to")) or shop.today
    start = parse_day(q.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end or (end - start).days > 92:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    return start, end


def _agent_filter(request: Request, user: ConsoleUser) -> str | None:
    if not user.manager:
        return user.agent_id
    return request.query_params.get("agent") or None


def _filters(start: date, end: date, agent: str | None) -> dict[str, str]:
    out = {"from": start.isoformat(), "to": end.isoformat()}
    if agent:
        out["agent"] = agent
    return out


def _entry_url(entry: lost.Entry | None, filters: dict[str, str]) -> str | None:
    if entry is None:
        return None
    key = {"agent_id": entry.agent_id, "buyer_id": entry.buyer_id, "day": entry.day.isoformat()}
    return f"{INQUIRY_URL}?" + urlencode({**key, **filters})


async def _queue_context(
    request: Request, user: ConsoleUser, session: SessionDep, shop: ShopContext
) -> dict[str, Any]:
    start, end = _range(request, shop)
    agent = _agent_filter(request, user)
    entries = await lost.queue(session, shop_id=user.shop_id, start=start, end=end, agent_id=agent)
    order_ids = {o for e in entries for o in e.order_ids}
    unpaid = await lost.unpaid_amounts(session, user.shop_id, order_ids)
    filters = _filters(start, end, agent)
    return {
        "start": start,
        "end": end,
        "agent": agent,
        "entries": entries,
        "summary": lost.summary(entries, unpaid),
        "filters": filters,
        "filter_query": urlencode(filters),
        "entry_url": lambda e: _entry_url(e, filters),
        "cause_labels": CAUSE_LABELS,
        "causes": CAUSES,
        "agents": sorted(await agent_names(session, user.shop_id)) if user.manager else [],
    }


@router.get("/lost")
async def queue_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    shop = await shop_context(request, session, user.shop_id)
    context = await _queue_context(request, user, session, shop)
    return page(request, "lost.html", user, currency=shop.currency, **context)


@router.get("/lost/inquiry")
async def inquiry_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    q = request.query_params
    agent_id, buyer_id, day = q.get("agent_id", ""), q.get("buyer_id", ""), parse_day(q.get("day"))
    if not agent_id or not buyer_id or day is None:
        raise Unprocessable.field(["query", "day"], "agent_id, buyer_id and day are required")
    user.require_agent(agent_id)
    shop = await shop_context(request, session, user.shop_id)
    context = await _queue_context(request, user, session, shop)
    entries: list[lost.Entry] = context["entries"]
    current = next((e for e in entries if e.key == (agent_id, buyer_id, day)), None)
    if current is None:
        raise NotFound(f"no lost inquiry of buyer {buyer_id!r} with {agent_id!r} on {day}")
    previous, following = lost.neighbours(entries, current.key)
    settings = await get_settings(session=session, shop_id=user.shop_id)
    talk = await transcript(
        session=session, shop_id=user.shop_id, buyer_id=buyer_id, start=day, end=day
    )
    return page(
        request,
        "inquiry.html",
        user,
        currency=shop.currency,
        current=current,
        previous_url=_entry_url(previous, context["filters"]),
        next_url=_entry_url(following, context["filters"]),
        lines=lines(
            talk,
            slow_seconds=settings.slow_reply_seconds,
            only_agent=None if user.manager else user.agent_id,
        ),
        **context,
    )


@router.post("/lost/mark")
async def mark(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    form = await form_of(request)
    check_csrf(user, form, request)
    user.require_manager()
    try:
        body = LostInquiryMarkIn(
            agent_id=form.get("agent_id", ""),
            buyer_id=form.get("buyer_id", ""),
            day=form.get("day", ""),
            cause=form.get("cause") or None,
            note=form.get("note", ""),
            reviewed=True,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Unprocessable.field(["body", *map(str, first["loc"])], first["msg"]) from None
    await mark_lost_inquiry(
        session=session, shop_id=user.shop_id, body=body, actor=user.audit_actor
    )
    then = form.get("then", "")
    if then.startswith(INQUIRY_URL + "?"):  # on to the next one (never another site)
        return RedirectResponse(then, status_code=303)
    back = {k: form[k] for k in ("from", "to", "agent") if form.get(k)}
    key = {"agent_id": body.agent_id, "buyer_id": body.buyer_id, "day": body.day.isoformat()}
    return RedirectResponse(f"{INQUIRY_URL}?" + urlencode({**key, **back}), status_code=303)
