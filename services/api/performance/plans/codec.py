"""Plans between their three forms: API input (pydantic), stored JSON (exact decimal
strings) and the pure core's dataclasses; and core problems as a 422 problem+json."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.metrics import decimal_text
from services.performance.bonus_plan import (
    BonusPlan,
    MinSample,
    Step,
    Tier,
    check_bonus_plan,
    default_direction,
    default_sample,
)
from services.performance.honour import HonourPlan, Level, Requirement, check_honour_plan

from ..params import unprocessable
from .schemas import BonusPlanIn, BonusPlanOut, HonourPlanIn, HonourPlanOut


def _d(value: Decimal) -> str:
    return decimal_text(value) or "0"


# --- bonus plans ------------------------------------------------------------------------


def bonus_plan(body: BonusPlanIn) -> BonusPlan:
    """The core plan of a request, or a 422 listing every defect."""
    plan = BonusPlan(
        metric=body.metric,
        period=body.period,
        tiers=tuple(Tier(t.threshold, t.amount) for t in body.tiers),
        direction=body.direction or default_direction(body.metric),
        baseline_periods=body.baseline_periods,
        step=Step(body.step.every, body.step.amount) if body.step else None,
        deductions=dict(body.deductions),
        min_sample=MinSample(
            body.min_sample.metric or default_sample(body.metric), body.min_sample.minimum
        )
        if body.min_sample
        else None,
    )
    problems = check_bonus_plan(plan)
    if problems:
        raise unprocessable(problems)
    return plan


def bonus_definition(plan: BonusPlan) -> dict[str, Any]:
    """The stored JSON: everything but metric and period (columns), decimals as strings."""
    return {
        "tiers": [{"threshold": _d(t.threshold), "amount": _d(t.amount)} for t in plan.tiers],
        "direction": plan.direction,
        "baseline_periods": plan.baseline_periods,
        "step": {"every": _d(plan.step.every), "amount": _d(plan.step.amount)}
        if plan.step
        else None,
        "deductions": {rule: _d(a) for rule, a in sorted(plan.deductions.items())},
        "min_sample": {"metric": plan.min_sample.metric, "minimum": _d(plan.min_sample.minimum)}
        if plan.min_sample
        else None,
    }


def bonus_plan_of_row(row: Any) -> BonusPlan:
    d = row.definition
    return BonusPlan(
        metric=row.metric,
        period=row.period,
        tiers=tuple(Tier(Decimal(t["threshold"]), Decimal(t["amount"])) for t in d["tiers"]),
        direction=d["direction"],
        baseline_periods=d["baseline_periods"],
        step=Step(Decimal(d["step"]["every"]), Decimal(d["step"]["amount"])) if d["step"] else None,
        deductions={rule: Decimal(a) for rule, a in d["deductions"].items()},
        min_sample=MinSample(d["min_sample"]["metric"], Decimal(d["min_sample"]["minimum"]))
        if d["min_sample"]
        else None,
    )


def bonus_plan_out(row: Any) -> BonusPlanOut:
    return BonusPlanOut(
        id=row.plan_id,
        name=row.name,
        metric=row.metric,
        period=row.period,
        **row.definition,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# --- honour plans -----------------------------------------------------------------------


def honour_plan(body: HonourPlanIn) -> HonourPlan:
    plan = HonourPlan(
        period=body.period,
        levels=tuple(
            Level(
                lv.name,
                tuple(Requirement(r.metric, r.comparison, r.value) for r in lv.requirements),
            )
            for lv in body.levels
        ),
    )
    problems = check_honour_plan(plan)
    if problems:
        raise unprocessable(problems)
    return plan


def honour_levels_json(plan: HonourPlan) -> list[dict[str, Any]]:
    return [
        {
            "name": lv.name,
            "requirements": [
                {"metric": r.metric, "comparison": r.comparison, "value": _d(r.value)}
                for r in lv.requirements
            ],
        }
        for lv in plan.levels
    ]


def honour_plan_of_row(row: Any) -> HonourPlan:
    return HonourPlan(
        period=row.period,
        levels=tuple(
            Level(
                lv["name"],
                tuple(
                    Requirement(r["metric"], r["comparison"], Decimal(r["value"]))
                    for r in lv["requirements"]
                ),
            )
            for lv in row.levels
        ),
    )


def honour_plan_out(row: Any) -> HonourPlanOut:
    return HonourPlanOut(
        id=row.plan_id,
        name=row.name,
        period=row.period,
        levels=row.levels,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
