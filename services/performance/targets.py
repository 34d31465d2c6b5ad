"""Targets (SPEC §7): one agent, one period, one metric, one value to reach.

Attainment = {value, target, ratio, met}. `ratio` is value / target, whatever the
direction (for a lower-is-better metric such as avg_response_seconds a ratio below 1 is
good); `met` applies the target's comparison, which defaults to ">=" for
higher-is-better metrics and "<=" for lower-is-better ones. No value (no activity, or a
zero denominator) is never met.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain import metrics
from domain.catalogue import CATALOGUE, is_metric, unknown_metric_message
from domain.comparisons import COMPARISONS, Comparison, holds
from domain.metrics import CONTEXT
from domain.parts import AgentDayParts

from .errors import PlanProblem


@dataclass(frozen=True, slots=True)
class Attainment:
    value: Decimal | None
    target: Decimal
    ratio: Decimal | None
    met: bool


def default_comparison(metric: str) -> Comparison:
    return "<=" if CATALOGUE[metric].direction == "lower" else ">="


def check_target(metric: str, comparison: str | None, value: Decimal) -> list[PlanProblem]:
    problems: list[PlanProblem] = []
    if not is_metric(metric):
        problems.append(PlanProblem("metric", unknown_metric_message(metric)))
    if comparison is not None and comparison not in COMPARISONS:
        problems.append(PlanProblem("comparison", f"comparison must be one of {list(COMPARISONS)}"))
    if not value.is_finite():
        problems.append(PlanProblem("value", "value must be a finite number"))
    return problems


def attainment(
    parts: AgentDayParts | None, metric: str, target: Decimal, comparison: Comparison
) -> Attainment:
    value = metrics.value(metric, parts)
    if value is None:
        return Attainment(None, target, None, False)
    ratio = None if target == 0 else CONTEXT.divide(value, target)
    return Attainment(value, target, ratio, holds(value, comparison, target))
