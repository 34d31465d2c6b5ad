"""Leaderboards (best, most improved) and a mentor's view of the apprentices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalogue import CATALOGUE, Direction, unknown_metric_message
from domain.metrics import agent_row, shown
from domain.parts import AgentDayParts
from services.performance import leaderboard
from services.performance.bonus_plan import MinSample
from services.performance.rollups import mentor_view

from ..exceptions import NotFound, Unprocessable
from . import daily
from .codec import period_param

Board = Literal["best", "most_improved"]


def _metric(name: str, where: str) -> None:
    if name not in CATALOGUE:
        raise Unprocessable.field(["query", where], unknown_metric_message(name))


async def board(
    *,
    session: AsyncSession,
    shop_id: str,
    kind: Board,
    metric: str,
    period_label: str,
    group: str | None,
    sample_metric: str,
    min_sample: int,
    direction: Direction | None,
) -> dict[str, Any]:
    _metric(metric, "metric")
    _metric(sample_metric, "sample_metric")
    period = period_param(period_label)
    before = period.previous()
    current = await daily.parts_by_agent(
        session, shop_id=shop_id, start=period.first, end=period.last, group=group
    )
    previous = await daily.parts_by_agent(
        session, shop_id=shop_id, start=before.first, end=before.last, group=group
    )
    way = direction or CATALOGUE[metric].direction
    sample = MinSample(sample_metric, Decimal(min_sample)) if min_sample > 0 else None
    rank = leaderboard.best if kind == "best" else leaderboard.most_improved
    rows = rank(current, previous, metric, direction=way, sample=sample)
    return {
        "metric": metric,
        "period": period.label,
        "previous_period": before.label,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "direction": way,
        "group": group,
        "sample_metric": sample_metric,
        "min_sample": min_sample,
        "rows": [
            {
                "rank": s.rank,
                "agent_id": s.agent_id,
                "value": shown(metric, s.value),
                "previous_value": shown(metric, s.previous),
                "change": shown(metric, s.change),
                "improvement": shown(metric, s.improvement),
            }
            for s in rows
        ],
    }


def _row(agent_id: str | None, group: str | None, parts: AgentDayParts) -> dict[str, Any]:
    return {"agent_id": agent_id, "group": group, **agent_row(parts)}


async def mentor(
    *, session: AsyncSession, shop_id: str, mentor_id: str, start: date, end: date
) -> dict[str, Any]:
    agents = await daily.agent_infos(session, shop_id=shop_id)
    by_id = {a.agent_id: a for a in agents}
    if mentor_id not in by_id:
        raise NotFound(f"agent {mentor_id!r} does not exist in this shop")
    parts = await daily.parts_by_agent(session, shop_id=shop_id, start=start, end=end)
    view = mentor_view(mentor_id, agents, parts)
    return {
        "mentor_id": mentor_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "mentor": _row(mentor_id, by_id[mentor_id].group, view.mentor),
        "apprentices": [_row(a, by_id[a].group, p) for a, p in view.apprentices.items()],
        "team": _row(None, None, view.team),
    }
