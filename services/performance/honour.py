"""Honour levels (铜牌/银牌/金牌/钻石, SPEC §7).

A plan lists its levels lowest first; each level is a set of requirements
(metric, comparison, value) on the period's metrics. An agent holds the highest level
whose requirements all hold — it need not hold the levels below (a plan where they would
not nest is the shop's choice). A requirement on a metric without a value (no activity,
zero denominator) fails. A level with no requirement always holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain import metrics
from domain.catalogue import is_metric, unknown_metric_message
from domain.comparisons import COMPARISONS, Comparison, holds
from domain.parts import AgentDayParts

from .errors import PlanProblem
from .periods import PERIOD_KINDS, PeriodKind

MAX_LEVELS = 20


@dataclass(frozen=True, slots=True)
class Requirement:
    metric: str
    comparison: Comparison
    value: Decimal


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class HonourPlan:
    period: PeriodKind
    levels: tuple[Level, ...]  # lowest first


@dataclass(frozen=True, slots=True)
class RequirementResult:
    requirement: Requirement
    actual: Decimal | None
    held: bool


@dataclass(frozen=True, slots=True)
class LevelResult:
    name: str
    held: bool
    requirements: tuple[RequirementResult, ...]


@dataclass(frozen=True, slots=True)
class HonourResult:
    level: str | None  # the highest level held, None if none
    levels: tuple[LevelResult, ...]


def check_honour_plan(plan: HonourPlan) -> list[PlanProblem]:
    problems: list[PlanProblem] = []
    if plan.period not in PERIOD_KINDS:
        problems.append(PlanProblem("period", f"period must be one of {list(PERIOD_KINDS)}"))
    if not plan.levels:
        problems.append(PlanProblem("levels", "a plan needs at least one level"))
    if len(plan.levels) > MAX_LEVELS:
        problems.append(PlanProblem("levels", f"at most {MAX_LEVELS} levels"))
    seen: set[str] = set()
    for i, level in enumerate(plan.levels):
        if not level.name.strip():
            problems.append(PlanProblem(f"levels.{i}.name", "a level needs a name"))
        elif level.name in seen:
            problems.append(PlanProblem(f"levels.{i}.name", f"duplicate level name {level.name!r}"))
        seen.add(level.name)
        for j, req in enumerate(level.requirements):
            where = f"levels.{i}.requirements.{j}"
            if not is_metric(req.metric):
                problems.append(PlanProblem(f"{where}.metric", unknown_metric_message(req.metric)))
            if req.comparison not in COMPARISONS:
                problems.append(
                    PlanProblem(
                        f"{where}.comparison", f"comparison must be one of {list(COMPARISONS)}"
                    )
                )
            if not req.value.is_finite():
                problems.append(PlanProblem(f"{where}.value", "must be a finite number"))
    return problems


def _evaluate(req: Requirement, parts: AgentDayParts | None) -> RequirementResult:
    actual = metrics.value(req.metric, parts)
    held = actual is not None and holds(actual, req.comparison, req.value)
    return RequirementResult(req, actual, held)


def evaluate_levels(plan: HonourPlan, parts: AgentDayParts | None) -> HonourResult:
    results = []
    for level in plan.levels:
        reqs = tuple(_evaluate(r, parts) for r in level.requirements)
        results.append(LevelResult(level.name, all(r.held for r in reqs), reqs))
    held = [r.name for r in results if r.held]
    return HonourResult(held[-1] if held else None, tuple(results))
