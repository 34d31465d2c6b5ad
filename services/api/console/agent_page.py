"""GET /console/agents/{agent_id}: one agent's trends by day and week, violations by rule,
bonus standing in words, honour level and what the next one needs, mentor and apprentices.
An agent user opens only its own page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy import or_, select
from starlette.responses import Response

from domain.catalogue import AGENT_METRICS, CATALOGUE
from shared.schema import agents

from ..deps import SessionDep
from ..exceptions import NotFound
from ..metrics.service import metric_rows, metrics_query
from . import plans, sparkline
from .auth import CurrentUser
from .context import shop_context
from .render import page, request_lang

router = APIRouter()
TREND_DAYS, TREND_WEEKS = 28, 8
TREND_METRICS = (
    "inquiry_conversion_rate",
    "avg_response_seconds",
    "avg_first_response_seconds",
    "avg_qa_score",
)


async def _people(session: SessionDep, shop_id: str, agent_id: str) -> tuple[Any, list[str]]:
    """The agent's row (None: unknown) and its apprentices."""
    c = agents.c
    rows = (
        await session.execute(
            select(c.agent_id, c.display_name, c.group_name, c.mentor_id).where(
                c.shop_id == shop_id, or_(c.agent_id == agent_id, c.mentor_id == agent_id)
            )
        )
    ).all()
    me = next((r for r in rows if r.agent_id == agent_id), None)
    return me, sorted(
        r.agent_id for r in rows if r.mentor_id == agent_id and r.agent_id != agent_id
    )


async def _series(
    session: SessionDep, shop_id: str, agent_id: str, start: date, end: date, granularity: str
) -> list[dict[str, Any]]:
    query = metrics_query(
        shop_id=shop_id,
        start=start,
        end=end,
        granularity=granularity,  # type: ignore[arg-type]
        group_by="agent",
        agent_ids=[agent_id],
    )
    return await metric_rows(session=session, query=query)


def _charts(rows: list[dict[str, Any]], labels: list[str]) -> list[tuple[str, str, Any]]:
    """(metric, SVG points, latest known value) of each trend metric."""
    by_period = {r["period"]: r for r in rows}
    out = []
    for name in TREND_METRICS:
        values = [by_period.get(p, {}).get(name) for p in labels]
        latest = next((v for v in reversed(values) if v is not None), None)
        out.append((name, sparkline.points(values, 560, 80), latest))
    return out


@router.get("/agents/{agent_id}")
async def agent_page(
    request: Request,
    agent_id: Annotated[str, Path(max_length=128)],
    user: CurrentUser,
    session: SessionDep,
) -> Response:
    user.require_agent(agent_id)
    me, apprentices = await _people(session, user.shop_id, agent_id)
    if me is None:
        raise NotFound(f"agent {agent_id!r} does not exist in this shop")
    shop = await shop_context(request, session, user.shop_id)
    lang = request_lang(request)
    today = shop.today
    day_start = today - timedelta(days=TREND_DAYS - 1)
    week_start = today - timedelta(days=today.weekday() + 7 * (TREND_WEEKS - 1))
    days = await _series(session, user.shop_id, agent_id, day_start, today, "day")
    weeks = await _series(session, user.shop_id, agent_id, week_start, today, "week")
    total = await _series(session, user.shop_id, agent_id, day_start, today, "total")
    day_labels = [(day_start + timedelta(days=i)).isoformat() for i in range(TREND_DAYS)]
    rules = [m for m in AGENT_METRICS if m.in_rows == "violations"]
    violations = total[0]["violations"] if total else {}
    counts = [(m, violations.get(m.name.removeprefix("violations."), 0)) for m in rules]
    standings = await plans.standings(session, user.shop_id, agent_id, today, lang, shop.currency)
    levels = await plans.level_sheets(session, user.shop_id, today, agent_id)
    return page(
        request,
        "agent.html",
        user,
        currency=shop.currency,
        agent=me,
        apprentices=apprentices,
        day_start=day_start,
        today=today,
        day_charts=_charts(days, day_labels),
        weeks=weeks,
        trend_metrics=[CATALOGUE[n] for n in TREND_METRICS],
        rules=counts,
        bars=sparkline.bars([float(n) for _, n in counts]),
        standings=standings,
        levels=levels,
        catalogue=CATALOGUE,
    )
