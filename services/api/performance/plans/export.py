"""A plan's results as a file: the payroll sheet of a bonus plan (an agent a row, each
deduction rule its own columns) and the honour levels of an honour plan (the metrics its
requirements read, then whether each level is held)."""

from __future__ import annotations

from typing import Any

from domain.catalogue import RULE_LABELS
from services.performance.bonus_plan import BonusPlan
from services.performance.honour import HonourPlan

from ...exports.columns import Column, field_column, named_column
from ...exports.report import Report, listed, rows_of
from .schemas import BonusReport, LevelReport


def _bonus_columns(plan: BonusPlan) -> tuple[Column, ...]:
    deductions: list[Column] = []
    for rule in sorted(plan.deductions):  # as the results list them
        zh, en = RULE_LABELS[rule]
        deductions += [
            named_column(f"violations.{rule}", f"deduction_violations.{rule}"),
            Column(f"deduction_amounts.{rule}", f"扣款·{zh}", f"deduction: {en}", "money"),
        ]
    return (
        field_column("agent_id"),
        named_column(plan.metric, "value"),
        field_column("reason"),
        named_column(plan.metric, "baseline", zh="基线·", en="baseline: "),
        field_column("thresholds", "list"),
        field_column("tier", "integer"),
        field_column("tier_amount", "money"),
        field_column("steps_beyond_top", "integer"),
        field_column("step_amount", "money"),
        field_column("gross", "money"),
        *deductions,
        field_column("deductions_total", "money"),
        field_column("total", "money"),
    )


def _bonus_item(bonus: Any) -> dict[str, Any]:
    item: dict[str, Any] = bonus.model_dump()
    item["deduction_violations"] = {d["rule"]: d["violations"] for d in item["deductions"]}
    item["deduction_amounts"] = {d["rule"]: d["amount"] for d in item["deductions"]}
    return item


def bonus_report(plan: BonusPlan, report: BonusReport) -> Report:
    columns = _bonus_columns(plan)
    return Report(
        name=f"bonuses-{report.plan_id}",
        title_zh="奖金",
        title_en="bonuses",
        period=report.period,
        columns=columns,
        rows=rows_of(columns, listed(_bonus_item(b) for b in report.bonuses)),
    )


def _level_columns(plan: HonourPlan) -> tuple[Column, ...]:
    metrics = dict.fromkeys(r.metric for level in plan.levels for r in level.requirements)
    return (
        field_column("agent_id"),
        field_column("level"),
        *(named_column(m, f"actual.{m}") for m in metrics),
        *(
            Column(f"held.{level.name}", f"{level.name}·达成", f"{level.name}: held", "boolean")
            for level in plan.levels
        ),
    )


def _level_item(agent: Any) -> dict[str, Any]:
    item: dict[str, Any] = agent.model_dump()
    levels = item["levels"]
    item["actual"] = {q["metric"]: q["actual"] for lv in levels for q in lv["requirements"]}
    item["held"] = {lv["name"]: lv["held"] for lv in levels}
    return item


def level_report(plan: HonourPlan, report: LevelReport) -> Report:
    columns = _level_columns(plan)
    return Report(
        name=f"levels-{report.plan_id}",
        title_zh="荣誉等级",
        title_en="honour levels",
        period=report.period,
        columns=columns,
        rows=rows_of(columns, listed(_level_item(a) for a in report.agents)),
    )
