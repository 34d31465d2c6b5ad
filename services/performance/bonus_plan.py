"""Bonus plans (阶梯奖金, SPEC §7): what a plan is and what makes one invalid.

A plan pays the amount of the highest tier whose threshold the agent's period value
reaches, plus `step.amount` for every full `step.every` beyond the top tier (uncapped,
上不封顶), minus deductions per QA violation; see bonus.py for the arithmetic.

Tiers are absolute thresholds, or offsets above the agent's baseline when
`baseline_periods` is set (relative tiers: baseline + offset). "Reaching" follows the
plan's direction: value >= threshold for higher-is-better metrics (the default for
them), value <= threshold for lower-is-better ones, where tiers then go down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from domain.catalogue import (
    CATALOGUE,
    Direction,
    is_metric,
    is_sample,
    unknown_metric_message,
    unknown_sample_message,
)
from domain.qa_rules import RULES

from .errors import PlanProblem
from .periods import PERIOD_KINDS, PeriodKind

MAX_BASELINE_PERIODS = 52


@dataclass(frozen=True, slots=True)
class Tier:
    threshold: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Step:
    """Beyond the top tier: +amount for every full `every` further (in metric units)."""

    every: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MinSample:
    """Eligibility: the period's `metric` must be at least `minimum` (e.g. inquiries >= 20)."""

    metric: str
    minimum: Decimal


@dataclass(frozen=True, slots=True)
class BonusPlan:
    metric: str
    period: PeriodKind
    tiers: tuple[Tier, ...]
    direction: Direction = "higher"
    # None: absolute thresholds. N: offsets over the metric of the N previous periods
    # taken together (bonus.py).
    baseline_periods: int | None = None
    step: Step | None = None
    # QA rule -> amount deducted per violation occurrence of that rule.
    deductions: Mapping[str, Decimal] = field(default_factory=dict)
    min_sample: MinSample | None = None


def default_direction(metric: str) -> Direction:
    return CATALOGUE[metric].direction if is_metric(metric) else "higher"


def default_sample(metric: str) -> str:
    """The catalogue's sample of the metric (an unknown metric is refused elsewhere)."""
    return CATALOGUE[metric].sample if is_metric(metric) else "inquiries"


def _money(value: Decimal, where: str) -> list[PlanProblem]:
    if not value.is_finite() or value < 0:
        return [PlanProblem(where, "must be a finite amount >= 0")]
    if value != value.quantize(Decimal("0.01")):
        return [PlanProblem(where, "amounts have at most 2 decimal places")]
    return []


def _check_tiers(plan: BonusPlan) -> list[PlanProblem]:
    if not plan.tiers:
        return [PlanProblem("tiers", "a plan needs at least one tier")]
    problems: list[PlanProblem] = []
    sign = 1 if plan.direction == "higher" else -1
    for i, tier in enumerate(plan.tiers):
        if not tier.threshold.is_finite():
            problems.append(PlanProblem(f"tiers.{i}.threshold", "must be a finite number"))
        problems += _money(tier.amount, f"tiers.{i}.amount")
    if problems:
        return problems
    for i in range(1, len(plan.tiers)):
        before, tier = plan.tiers[i - 1], plan.tiers[i]
        if tier.threshold == before.threshold:
            problems.append(
                PlanProblem(
                    f"tiers.{i}.threshold",
                    f"overlaps tier {i - 1}: two tiers at threshold {tier.threshold}",
                )
            )
        elif sign * (tier.threshold - before.threshold) < 0:
            order = "increasing" if sign > 0 else "decreasing (lower is better)"
            problems.append(
                PlanProblem(
                    f"tiers.{i}.threshold",
                    f"tiers must be listed with strictly {order} thresholds: "
                    f"{tier.threshold} comes after {before.threshold}",
                )
            )
        if tier.amount < before.amount:
            problems.append(
                PlanProblem(
                    f"tiers.{i}.amount",
                    f"a higher tier cannot pay less than the one below "
                    f"({tier.amount} < {before.amount})",
                )
            )
    return problems


def check_bonus_plan(plan: BonusPlan) -> list[PlanProblem]:
    """Every defect of the plan; an empty list means the plan is valid."""
    problems: list[PlanProblem] = []
    if not is_metric(plan.metric):
        problems.append(PlanProblem("metric", unknown_metric_message(plan.metric)))
    if plan.period not in PERIOD_KINDS:
        problems.append(PlanProblem("period", f"period must be one of {list(PERIOD_KINDS)}"))
    if plan.direction not in ("higher", "lower"):
        problems.append(PlanProblem("direction", "direction must be 'higher' or 'lower'"))
        return problems
    problems += _check_tiers(plan)
    if plan.baseline_periods is not None and not 1 <= plan.baseline_periods <= MAX_BASELINE_PERIODS:
        problems.append(
            PlanProblem("baseline_periods", f"must be between 1 and {MAX_BASELINE_PERIODS}")
        )
    if plan.step is not None:
        if not plan.step.every.is_finite() or plan.step.every <= 0:
            problems.append(PlanProblem("step.every", "must be a number > 0"))
        problems += _money(plan.step.amount, "step.amount")
    for rule, amount in plan.deductions.items():
        if rule not in RULES:
            problems.append(
                PlanProblem(
                    f"deductions.{rule}", f"unknown QA rule {rule!r}; known: {', '.join(RULES)}"
                )
            )
        problems += _money(amount, f"deductions.{rule}")
    if plan.min_sample is not None:
        if not is_sample(plan.min_sample.metric):
            problems.append(
                PlanProblem("min_sample.metric", unknown_sample_message(plan.min_sample.metric))
            )
        if not plan.min_sample.minimum.is_finite():
            problems.append(PlanProblem("min_sample.minimum", "must be a finite number"))
    return problems
