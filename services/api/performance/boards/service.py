"""Leaderboards (best, most improved) and a mentor's view of the apprentices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalogue import (
    CATALOGUE,
    Direction,
    is_metric,
    is_sample,
    unknown_metric_message,
    unknown_sample_message,
)
from domain.metrics import agent_row, shown
from domain.parts import AgentDayParts
from services.performance import leaderboard
from services.performance.bonus_plan import MinSample
from services.performance.rollups import mentor_view
from shared import rollup_reader

from ...agents import repository as agents_sql
from ...exceptions import NotFound, Unprocessable
from ...pagination import PageParams, decode_cursor, encode_cursor
from ..params import period_param
from .schemas import LeaderboardOut, MentorRow, MentorViewOut, StandingOut

Board = Literal["best", "most_improved"]
_RANK = {"best": leaderboard.best, "most_improved": leaderboard.most_improved}


def _check_metric(name: str) -> None:
    if not is_metric(name):
        raise Unprocessable.field(["query", "metric"], unknown_metric_message(name))


def _check_sample(name: str) -> None:
    if not is_sample(name):
        raise Unprocessable.field(["query", "sample_metric"], unknown_sample_message(name))


def _sort_key(kind: Board, direction: Direction, s: leaderboard.Standing) -> tuple[Decimal, str]:
    """Where a standing is in the board's order, as the cursor remembers it."""
    if kind == "most_improved":
        return -(s.improvement or Decimal(0)), s.agent_id
    return (-s.value if direction == "higher" else s.value), s.agent_id


def _after(cursor: str | None) -> tuple[Decimal, str] | None:
    if cursor is None:
        return None
    score, agent_id = decode_cursor(cursor, str, str)
    try:
        return Decimal(score), agent_id
    except ArithmeticError:
        raise Unprocessable.field(
            ["query", "cursor"], "cursor is not one this API returned"
        ) from None


def _standing(metric: str, s: leaderboard.Standing) -> StandingOut:
    return StandingOut(
        rank=s.rank,
        agent_id=s.agent_id,
        value=shown(metric, s.value),
        sample=s.sample,
        previous_value=shown(metric, s.previous),
        previous_rank=s.previous_rank,
        change=shown(metric, s.change),
        improvement=shown(metric, s.improvement),
    )


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """What a leaderboard request asks for (the page aside)."""

    metric: str
    period: str  # an ISO week or a month label
    group: str | None
    sample_metric: str | None  # None: the catalogue's sample of the metric
    min_sample: int
    direction: Direction | None  # None: the catalogue's direction of the metric


async def board(
    *, session: AsyncSession, shop_id: str, kind: Board, query: BoardQuery, page: PageParams
) -> LeaderboardOut:
    """One page of the board, in its order; the cursor is the last row's sort key, so a
    page never repeats or skips a row that stays where it was."""
    metric, group, min_sample = query.metric, query.group, query.min_sample
    _check_metric(metric)
    sample_of = query.sample_metric or CATALOGUE[metric].sample
    _check_sample(sample_of)
    period = period_param(query.period)
    before = period.previous()
    current = await rollup_reader.parts_by_agent(
        session, shop_id=shop_id, start=period.first, end=period.last, group=group
    )
    previous = await rollup_reader.parts_by_agent(
        session, shop_id=shop_id, start=before.first, end=before.last, group=group
    )
    way = query.direction or CATALOGUE[metric].direction
    sample = MinSample(sample_of, Decimal(min_sample))
    rows = _RANK[kind](current, previous, metric, direction=way, sample=sample)
    after = _after(page.cursor)
    if after is not None:
        rows = [s for s in rows if _sort_key(kind, way, s) > after]
    page_rows = rows[: page.limit]
    more = len(rows) > page.limit
    last = _sort_key(kind, way, page_rows[-1]) if more else None
    return LeaderboardOut(
        metric=metric,
        period=period.label,
        previous_period=before.label,
        start=period.first,
        end=period.last,
        previous_start=before.first,
        previous_end=before.last,
        direction=way,
        group=group,
        sample_metric=sample_of,
        min_sample=min_sample,
        items=[_standing(metric, s) for s in page_rows],
        next_cursor=None if last is None else encode_cursor([str(last[0]), last[1]]),
    )


def _row(agent_id: str | None, group: str | None, parts: AgentDayParts) -> BaseModel:
    return MentorRow(agent_id=agent_id, group=group, **agent_row(parts))


async def mentor(
    *, session: AsyncSession, shop_id: str, mentor_id: str, start: date, end: date
) -> MentorViewOut:
    agents = await agents_sql.agent_infos(session, shop_id=shop_id)
    by_id = {a.agent_id: a for a in agents}
    if mentor_id not in by_id:
        raise NotFound(f"agent {mentor_id!r} does not exist in this shop")
    parts = await rollup_reader.parts_by_agent(session, shop_id=shop_id, start=start, end=end)
    view = mentor_view(mentor_id, agents, parts)
    if view.team.spread is not None:  # summed here: its percentiles need their own values
        await rollup_reader.fetch_values(session, [view.team.spread])
    return MentorViewOut(
        mentor_id=mentor_id,
        start=start.isoformat(),
        end=end.isoformat(),
        mentor=_row(mentor_id, by_id[mentor_id].group, view.mentor),
        apprentices=[_row(a, by_id[a].group, p) for a, p in view.apprentices.items()],
        team=_row(None, None, view.team),
    )
