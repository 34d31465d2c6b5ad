"""Computed bonuses: one agent, one period, one plan, with the whole breakdown.

    gross = amount of the highest tier reached
            + step.amount × floor((value − top threshold) / step.every)   if the top is reached
    deductions = Σ over the plan's rules: violations of that rule × amount per violation
    total = max(0, gross − deductions)          (a bonus is never negative)

All in Decimal: 53.9 % stays below a 54 % tier and 58 % is exactly 2 steps of 2 % above
54 %.

Relative tiers (SPEC §7) are offsets over the agent's baseline: the metric over the
agent's previous N periods taken together, from their summed parts — Σ paid_buyers /
Σ inquiries over the N weeks, never a mean of the weeks' values (a 1-inquiry week weighs
one inquiry, not a whole week). No value over those periods (no activity, or a zero
denominator) is no baseline.

An agent without a value (no inquiries), below the minimum sample, or without a
baseline for relative tiers reaches no tier: gross 0, total 0, `reason` says why;
deductions are still listed so the payroll view shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from domain import metrics
from domain.metrics import CONTEXT
from domain.parts import AgentDayParts

from .bonus_plan import BonusPlan

_CENT = Decimal("0.01")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Deduction:
    rule: str
    violations: int
    amount_per_violation: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BonusResult:
    value: Decimal | None
    # Why no tier could be reached: no_value, below_min_sample, no_baseline; else None.
    reason: str | None
    baseline: Decimal | None
    thresholds: tuple[Decimal, ...]  # effective thresholds (baseline + offset if relative)
    tier: int | None  # index into plan.tiers of the tier reached
    tier_amount: Decimal
    steps_beyond_top: int
    step_amount: Decimal
    gross: Decimal
    deductions: tuple[Deduction, ...]
    deductions_total: Decimal
    total: Decimal


def _deductions(plan: BonusPlan, parts: AgentDayParts | None) -> tuple[Deduction, ...]:
    out = []
    for rule, per in sorted(plan.deductions.items()):
        count = getattr(parts, f"v_{rule}") if parts is not None else 0
        out.append(Deduction(rule, count, per, (per * count).quantize(_CENT)))
    return tuple(out)


def _reached(value: Decimal, thresholds: Sequence[Decimal], sign: int) -> int | None:
    """Index of the highest tier reached; thresholds are ordered lowest tier first."""
    reached = None
    for i, threshold in enumerate(thresholds):
        if sign * (value - threshold) >= 0:
            reached = i
    return reached


def _steps(plan: BonusPlan, value: Decimal, top: Decimal, sign: int) -> int:
    if plan.step is None:
        return 0
    beyond = CONTEXT.divide(sign * (value - top), plan.step.every)
    return int(beyond.to_integral_value(rounding=ROUND_FLOOR))


def _why_not(plan: BonusPlan, parts: AgentDayParts | None, value: Decimal | None) -> str | None:
    if value is None:
        return "no_value"
    if plan.min_sample is not None:
        sample = metrics.sample_value(plan.min_sample.metric, parts)
        if sample is None or sample < plan.min_sample.minimum:
            return "below_min_sample"
    return None


def compute_bonus(
    plan: BonusPlan,
    parts: AgentDayParts | None,
    before: AgentDayParts | None = None,
) -> BonusResult:
    """`parts`: the agent's summed parts over the period (None: no activity); `before`:
    its parts summed over the plan.baseline_periods previous periods (relative plans;
    None: no activity then)."""
    value = metrics.value(plan.metric, parts)
    offsets = tuple(t.threshold for t in plan.tiers)
    base = metrics.value(plan.metric, before) if plan.baseline_periods is not None else None
    if plan.baseline_periods is None:
        thresholds = offsets
    else:
        thresholds = () if base is None else tuple(base + o for o in offsets)
    reason = _why_not(plan, parts, value)
    if reason is None and plan.baseline_periods is not None and base is None:
        reason = "no_baseline"
    sign = 1 if plan.direction == "higher" else -1
    tier = None if reason is not None or value is None else _reached(value, thresholds, sign)
    tier_amount = plan.tiers[tier].amount if tier is not None else _ZERO
    steps = 0
    if tier is not None and value is not None and tier == len(plan.tiers) - 1:
        steps = _steps(plan, value, thresholds[-1], sign)
    step_amount = plan.step.amount * steps if plan.step is not None else _ZERO
    gross = (tier_amount + step_amount).quantize(_CENT)
    deductions = _deductions(plan, parts)
    deducted = sum((d.amount for d in deductions), _ZERO).quantize(_CENT)
    return BonusResult(
        value=value,
        reason=reason,
        baseline=base,
        thresholds=thresholds,
        tier=tier,
        tier_amount=tier_amount.quantize(_CENT),
        steps_beyond_top=steps,
        step_amount=step_amount.quantize(_CENT),
        gross=gross,
        deductions=deductions,
        deductions_total=deducted,
        total=max(_ZERO, gross - deducted).quantize(_CENT),
    )
