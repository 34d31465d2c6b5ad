"""Computed bonuses and honour levels of one plan and period, from agent_daily (read
through shared/rollup_reader.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.metrics import decimal_text, money, shown
from domain.parts import AgentDayParts
from services.performance.bonus import BonusResult, compute_bonus
from services.performance.bonus_plan import BonusPlan
from services.performance.honour import HonourPlan, HonourResult, evaluate_levels
from services.performance.periods import Period
from shared import rollup_reader

from ..params import period_param
from . import codec
from .schemas import (
    AgentLevelOut,
    BonusOut,
    BonusReport,
    DeductionOut,
    LevelReport,
    LevelResultOut,
    RequirementResultOut,
)
from .service import BONUS, HONOUR, fetch_plan_row


def _bonus_out(agent_id: str, plan: BonusPlan, r: BonusResult) -> BonusOut:
    return BonusOut(
        agent_id=agent_id,
        value=shown(plan.metric, r.value),
        reason=r.reason,  # type: ignore[arg-type]
        baseline=decimal_text(r.baseline),
        thresholds=[decimal_text(t) or "0" for t in r.thresholds],
        tier=r.tier,
        tier_amount=money(r.tier_amount),
        steps_beyond_top=r.steps_beyond_top,
        step_amount=money(r.step_amount),
        gross=money(r.gross),
        deductions=[
            DeductionOut(
                rule=d.rule,
                violations=d.violations,
                amount_per_violation=money(d.amount_per_violation),
                amount=money(d.amount),
            )
            for d in r.deductions
        ],
        deductions_total=money(r.deductions_total),
        total=money(r.total),
    )


async def _baseline_parts(
    session: AsyncSession, shop_id: str, plan: BonusPlan, period: Period, agent_ids: list[str]
) -> dict[str, AgentDayParts]:
    """Each agent's parts summed over the plan's baseline periods, taken together (absent:
    no activity then)."""
    if plan.baseline_periods is None or not agent_ids:
        return {}
    before = period.previous_n(plan.baseline_periods)
    return await rollup_reader.parts_by_agent(
        session,
        shop_id=shop_id,
        start=before[-1].first,
        end=before[0].last,
        agent_ids=agent_ids,
    )


async def _period_parts(
    session: AsyncSession, shop_id: str, period: Period, query: ResultsQuery
) -> dict[str, AgentDayParts | None]:
    """Summed parts of every agent active in the period (or the one asked for, even idle)."""
    agent_id = query.agent_id
    current: dict[str, AgentDayParts | None] = dict(
        await rollup_reader.parts_by_agent(
            session,
            shop_id=shop_id,
            start=period.first,
            end=period.last,
            agent_ids=None if agent_id is None else [agent_id],
            group=query.group,
        )
    )
    if agent_id is not None:
        current.setdefault(agent_id, None)
    return current


@dataclass(frozen=True, slots=True)
class ResultsQuery:
    """A plan's results for one period: every agent active in it, or only `agent_id`
    (even idle), or only a group's."""

    plan_id: str
    period: str  # an ISO week or month label, of the plan's kind
    agent_id: str | None
    group: str | None


async def plan_bonuses(
    *, session: AsyncSession, shop_id: str, query: ResultsQuery
) -> tuple[BonusPlan, BonusReport]:
    """The plan, and each agent's bonus: every agent active in the period (or the one
    asked for), in agent_id order."""
    plan_id = query.plan_id
    row = await fetch_plan_row(session=session, kind=BONUS, shop_id=shop_id, plan_id=plan_id)
    plan = codec.bonus_plan_of_row(row)
    period = period_param(query.period, plan.period)
    current = await _period_parts(session, shop_id, period, query)
    ids = sorted(current)
    before = await _baseline_parts(session, shop_id, plan, period, ids)
    results = [(a, compute_bonus(plan, current[a], before.get(a))) for a in ids]
    return plan, BonusReport(
        plan_id=plan_id,
        period=period.label,
        start=period.first.isoformat(),
        end=period.last.isoformat(),
        total=money(sum((r.total for _, r in results), Decimal(0))),
        bonuses=[_bonus_out(a, plan, r) for a, r in results],
    )


def _level_out(agent_id: str, r: HonourResult) -> AgentLevelOut:
    return AgentLevelOut(
        agent_id=agent_id,
        level=r.level,
        levels=[
            LevelResultOut(
                name=lv.name,
                held=lv.held,
                requirements=[
                    RequirementResultOut(
                        metric=q.requirement.metric,
                        comparison=q.requirement.comparison,
                        value=decimal_text(q.requirement.value) or "0",
                        actual=shown(q.requirement.metric, q.actual),
                        held=q.held,
                    )
                    for q in lv.requirements
                ],
            )
            for lv in r.levels
        ],
    )


async def plan_levels(
    *, session: AsyncSession, shop_id: str, query: ResultsQuery
) -> tuple[HonourPlan, LevelReport]:
    """The plan, and each agent's level (agents as for plan_bonuses)."""
    plan_id = query.plan_id
    row = await fetch_plan_row(session=session, kind=HONOUR, shop_id=shop_id, plan_id=plan_id)
    plan = codec.honour_plan_of_row(row)
    period = period_param(query.period, plan.period)
    current = await _period_parts(session, shop_id, period, query)
    return plan, LevelReport(
        plan_id=plan_id,
        period=period.label,
        start=period.first.isoformat(),
        end=period.last.isoformat(),
        agents=[_level_out(a, evaluate_levels(plan, current[a])) for a in sorted(current)],
    )
