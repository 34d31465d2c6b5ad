"""Plans between their three forms: API input (pydantic), stored JSON (exact decimal
strings) and the pure core's dataclasses; and core problems as a 422 problem+json."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
from services.performance.errors import PeriodError, PlanProblem
from services.performance.honour import HonourPlan, Level, Requirement, check_honour_plan
from services.performance.periods import Period, PeriodKind, parse_period

from ..exceptions import Unprocessable
from ..pagination import decode_cursor, encode_cursor
from .bonus_schemas import BonusPlanIn
from .honour_schemas import HonourPlanIn


def unprocessable(problems: Sequence[PlanProblem], root: str = "body") -> Unprocessable:
    errors = [
        {
            "loc": [root, *(int(p) if p.isdigit() else p for p in pr.field.split("."))],
            "msg": pr.message,
            "type": "value_error",
        }
        for pr in problems
    ]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Unprocessable(f"{problems[0].field}: {problems[0].message}{more}", errors=errors)


def period_param(label: str, kind: PeriodKind | None = None) -> Period:
    """?period= → Period, or 422 naming the parameter."""
    try:
        period = parse_period(label)
    except PeriodError as exc:
        raise Unprocessable.field(["query", "period"], str(exc)) from None
    if kind is not None and period.kind != kind:
        example = "2026-W46" if kind == "week" else "2026-11"
        raise Unprocessable.field(
            ["query", "period"], f"this plan is {kind}ly: ask for a {kind} such as {example}"
        )
    return period


def page_after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    created, key = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(created)), str(key)
    except ValueError:
        raise Unprocessable.field(
            ["query", "cursor"], "cursor is not one this API returned"
        ) from None


def next_cursor(rows: Sequence[Any], limit: int, id_column: str) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor([last.created_at.isoformat(), getattr(last, id_column)])


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


def bonus_plan_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.plan_id,
        "name": row.name,
        "metric": row.metric,
        "period": row.period,
        **row.definition,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


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


def honour_plan_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.plan_id,
        "name": row.name,
        "period": row.period,
        "levels": row.levels,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
