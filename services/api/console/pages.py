"""The manager's other pages, simplest useful versions: Performance (bonus sheets, honour
levels, leaderboards, targets), QA (violations by rule and agent, each opening its
transcript), Alerts (current breaches, rules, recent webhook deliveries) and a buyer's
transcript."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import and_, select
from starlette.responses import Response

from domain.catalogue import CATALOGUE, RULE_LABELS
from shared.schema import alert_rules, alert_state, violations, webhook_deliveries, webhook_events

from ..deps import SessionDep
from ..exceptions import NotFound, Unprocessable
from ..pagination import PageParams
from ..performance.boards.service import BoardQuery, board
from ..performance.targets.service import list_targets
from ..shop_settings.service import get_settings
from ..transcripts.service import transcript
from . import plans
from .auth import CurrentUser
from .context import parse_day, shop_context
from .conversation import lines
from .render import page, request_lang

router = APIRouter()
BOARD_METRIC = "inquiry_conversion_rate"
QA_DAYS, RECENT = 7, 100


@router.get("/performance")
async def performance_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    user.require_manager()
    shop = await shop_context(request, session, user.shop_id)
    # ?on=<day>: the periods (week of weekly plans, month of monthly ones) holding that day.
    on = parse_day(request.query_params.get("on")) or shop.today
    week = plans.period_now("week", on).label
    boards = []
    for kind in ("best", "most_improved"):
        query = BoardQuery(BOARD_METRIC, week, None, None, 1, None)
        found = await board(
            session=session,
            shop_id=user.shop_id,
            kind=kind,
            query=query,  # type: ignore[arg-type]
            page=PageParams(cursor=None, limit=50),
        )
        boards.append(("best" if kind == "best" else "improved", found))
    targets = await list_targets(
        session=session, shop_id=user.shop_id, filters={"period": week}, cursor=None, limit=200
    )
    return page(
        request,
        "performance.html",
        user,
        currency=shop.currency,
        bonuses=await plans.bonus_sheets(session, user.shop_id, on),
        levels=await plans.level_sheets(session, user.shop_id, on),
        on=on,
        previous_week=on - timedelta(days=7),
        next_week=on + timedelta(days=7),
        boards=boards,
        targets=targets.items,
        catalogue=CATALOGUE,
    )


@router.get("/qa")
async def qa_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    user.require_manager()
    shop = await shop_context(request, session, user.shop_id)
    start, end = shop.today - timedelta(days=QA_DAYS - 1), shop.today
    v = violations.c
    rows = (
        await session.execute(
            select(v.day, v.agent_id, v.buyer_id, v.rule, v.occurrences, v.message_event_id)
            .where(v.shop_id == user.shop_id, v.day >= start, v.day <= end)
            .order_by(v.day.desc(), v.session_started_at.desc(), v.seq)
            .limit(5000)
        )
    ).all()
    by_rule: Counter[str] = Counter()
    by_agent: Counter[str] = Counter()
    for r in rows:
        by_rule[r.rule] += r.occurrences
        by_agent[r.agent_id] += r.occurrences
    lang = request_lang(request)

    def rule_label(rule: str) -> str:
        zh, en = RULE_LABELS.get(rule, (rule, rule))
        return en if lang == "en" else zh

    return page(
        request,
        "qa.html",
        user,
        currency=shop.currency,
        start=start,
        end=end,
        by_rule=by_rule.most_common(),
        by_agent=by_agent.most_common(),
        recent=rows[:RECENT],
        rule_label=rule_label,
    )


@router.get("/alerts")
async def alerts_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    user.require_manager()
    shop = await shop_context(request, session, user.shop_id)
    r, s = alert_rules.c, alert_state.c
    rules = (
        await session.execute(select(alert_rules).where(r.shop_id == user.shop_id).order_by(r.name))
    ).all()
    breaches = (
        await session.execute(
            select(r.name, r.metric, r.comparison, r.threshold, s.scope_key, s.value)
            .select_from(
                alert_state.join(alert_rules, and_(r.shop_id == s.shop_id, r.rule_id == s.rule_id))
            )
            .where(s.shop_id == user.shop_id, s.breached)
            .order_by(r.name, s.scope_key)
        )
    ).all()
    d, e = webhook_deliveries.c, webhook_events.c
    deliveries = (
        await session.execute(
            select(d.created_at, d.status, d.attempts, d.last_status_code, d.last_error, e.type)
            .select_from(
                webhook_deliveries.join(
                    webhook_events, and_(e.shop_id == d.shop_id, e.event_id == d.event_id)
                )
            )
            .where(d.shop_id == user.shop_id)
            .order_by(d.created_at.desc())
            .limit(50)
        )
    ).all()
    return page(
        request,
        "alerts.html",
        user,
        currency=shop.currency,
        rules=rules,
        breaches=[_breach(b) for b in breaches],
        deliveries=deliveries,
        catalogue=CATALOGUE,
    )


def _breach(row: Any) -> dict[str, Any]:
    out = row._asdict()
    metric = CATALOGUE.get(out["metric"])
    if metric is not None and out["value"] is not None and metric.kind == "count":
        out["value"] = int(out["value"])
    elif out["value"] is not None and metric is not None and metric.kind != "money":
        out["value"] = float(out["value"])
    return out


@router.get("/transcript")
async def transcript_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """A buyer's day; an agent user sees only its own conversations with the buyer."""
    q = request.query_params
    buyer_id, day, agent_id = q.get("buyer_id", ""), parse_day(q.get("day")), q.get("agent_id")
    if not buyer_id or day is None:
        raise Unprocessable.field(["query", "day"], "buyer_id and day are required")
    if not user.manager:
        user.require_agent(agent_id or "")
    shop = await shop_context(request, session, user.shop_id)
    settings = await get_settings(session=session, shop_id=user.shop_id)
    talk = await transcript(
        session=session, shop_id=user.shop_id, buyer_id=buyer_id, start=day, end=day
    )
    only = None if user.manager else user.agent_id
    if only is not None and not any(s.agent_id == only for s in talk.sessions):
        raise NotFound(f"no conversation of yours with buyer {buyer_id!r} on {day}")
    shown = lines(talk, slow_seconds=settings.slow_reply_seconds, only_agent=only)
    return page(
        request,
        "transcript.html",
        user,
        currency=shop.currency,
        buyer_id=buyer_id,
        day=day,
        lines=shown,
    )
