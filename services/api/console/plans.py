"""The shop's bonus and honour plans and their results for a period, as the performance
and agent pages show them (the computations are services/api/performance's own)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.parts import AgentDayParts
from services.performance.bonus import compute_bonus
from services.performance.periods import Period, month_of, week_of
from shared import rollup_reader

from ..performance.plans import codec
from ..performance.plans import repository as plan_rows
from ..performance.plans.results import ResultsQuery, plan_bonuses, plan_levels
from ..performance.plans.schemas import BonusReport, LevelReport
from ..performance.plans.service import BONUS, HONOUR
from .formatting import Lang
from .standing import words

MAX_PLANS = 20
R = TypeVar("R", BonusReport, LevelReport)


def period_now(kind: str, today: date) -> Period:
    return week_of(today) if kind == "week" else month_of(today)


async def plans(session: AsyncSession, shop_id: str, kind: str) -> list[Any]:
    return await plan_rows.list_plans(
        session, kind=kind, shop_id=shop_id, after=None, limit=MAX_PLANS
    )


@dataclass
class Sheet(Generic[R]):
    """A plan (its stored row) and its results for the current period."""

    row: Any
    report: R


async def _sheets(
    session: AsyncSession,
    shop_id: str,
    today: date,
    agent_id: str | None,
    kind: str,
    results: Callable[..., Awaitable[tuple[Any, R]]],
) -> list[Sheet[R]]:
    out = []
    for row in await plans(session, shop_id, kind):
        label = period_now(row.period, today).label
        query = ResultsQuery(row.plan_id, label, agent_id, None)
        _, report = await results(session=session, shop_id=shop_id, query=query)
        out.append(Sheet(row, report))
    return out


async def bonus_sheets(
    session: AsyncSession, shop_id: str, today: date, agent_id: str | None = None
) -> list[Sheet[BonusReport]]:
    return await _sheets(session, shop_id, today, agent_id, BONUS.name, plan_bonuses)


async def level_sheets(
    session: AsyncSession, shop_id: str, today: date, agent_id: str | None = None
) -> list[Sheet[LevelReport]]:
    return await _sheets(session, shop_id, today, agent_id, HONOUR.name, plan_levels)


async def standings(
    session: AsyncSession, shop_id: str, agent_id: str, today: date, lang: Lang, currency: str
) -> list[tuple[str, str]]:
    """(plan name, standing in words) of every bonus plan for the agent's current period."""
    out = []
    for row in await plans(session, shop_id, BONUS.name):
        plan = codec.bonus_plan_of_row(row)
        period = period_now(plan.period, today)
        parts = (
            await rollup_reader.parts_by_agent(
                session, shop_id=shop_id, start=period.first, end=period.last, agent_ids=[agent_id]
            )
        ).get(agent_id)
        baseline: AgentDayParts | None = None
        if plan.baseline_periods is not None:
            before = period.previous_n(plan.baseline_periods)
            baseline = (
                await rollup_reader.parts_by_agent(
                    session,
                    shop_id=shop_id,
                    start=before[-1].first,
                    end=before[0].last,
                    agent_ids=[agent_id],
                )
            ).get(agent_id)
        result = compute_bonus(plan, parts, baseline)
        out.append((row.name, words(plan, result, parts, lang, currency)))
    return out
