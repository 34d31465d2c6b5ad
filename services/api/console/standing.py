"""A bonus plan's standing in words a person acts on:
"本周 ¥1,200 — 还差 3 询单→最终付款人数 达到 54.0 % → ¥1,600". Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from domain.catalogue import CATALOGUE
from domain.formulas import Part, Ratio
from domain.metrics import value as metric_value
from domain.parts import AgentDayParts
from services.performance.bonus import BonusResult
from services.performance.bonus_plan import BonusPlan

from . import formatting
from .formatting import Lang

PERIOD_WORDS = {
    ("week", "zh"): "本周",
    ("week", "en"): "This week",
    ("month", "zh"): "本月",
    ("month", "en"): "This month",
}


@dataclass(frozen=True, slots=True)
class NextTier:
    threshold: Decimal
    amount: Decimal  # the gross the agent would reach


def next_tier(plan: BonusPlan, result: BonusResult) -> NextTier | None:
    """The next threshold above what the agent reached and the gross it pays."""
    thresholds = result.thresholds
    if not thresholds:
        return None
    if result.tier is None:
        return NextTier(thresholds[0], plan.tiers[0].amount)
    if result.tier + 1 < len(thresholds):
        return NextTier(thresholds[result.tier + 1], plan.tiers[result.tier + 1].amount)
    if plan.step is None:
        return None
    sign = 1 if plan.direction == "higher" else -1
    steps = result.steps_beyond_top + 1
    return NextTier(
        thresholds[-1] + sign * steps * plan.step.every,
        plan.tiers[-1].amount + steps * plan.step.amount,
    )


def more_needed(
    metric: str, threshold: Decimal, parts: AgentDayParts | None
) -> tuple[int, str] | None:
    """How many more of which count reach `threshold` (higher-is-better counts, and ratios
    whose numerator is a count, with the denominator as it is); None otherwise."""
    entry = CATALOGUE.get(metric)
    if entry is None or entry.direction != "higher" or parts is None:
        return None
    formula = entry.formula
    if isinstance(formula, Part) and entry.kind == "count":
        now = Decimal(getattr(parts, formula.name))
        return max(math.ceil(threshold - now), 0), formula.name
    if isinstance(formula, Ratio) and isinstance(formula.numerator, Part):
        denominator = getattr(parts, formula.denominator)
        if not denominator or formula.numerator.name not in CATALOGUE:
            return None
        now = Decimal(getattr(parts, formula.numerator.name))
        need = math.ceil(threshold * denominator * formula.scale - now)
        return (need, formula.numerator.name) if need > 0 else None
    return None


def words(
    plan: BonusPlan, result: BonusResult, parts: AgentDayParts | None, lang: Lang, currency: str
) -> str:
    entry = CATALOGUE[plan.metric]
    head = f"{PERIOD_WORDS[(plan.period, lang)]} {formatting.money(result.total, currency)}"
    if result.reason == "below_min_sample" and plan.min_sample is not None:
        sample = CATALOGUE.get(plan.min_sample.metric)
        name = formatting.label(sample, lang) if sample else plan.min_sample.metric
        need = f"{plan.min_sample.minimum.normalize():f}"
        return head + (
            f" — {name} 需达到 {need}" if lang == "zh" else f" — {name} must reach {need}"
        )
    tier = next_tier(plan, result)
    if tier is None:
        return head + (" — 已达最高档" if lang == "zh" else " — top tier reached")
    shown = formatting.shown(entry, float(tier.threshold), lang, currency)
    if entry.kind == "count":
        shown = f"{tier.threshold.normalize():f}"
    reach = f"{shown} → {formatting.money(tier.amount, currency)}"
    more = more_needed(plan.metric, tier.threshold, parts)
    if more is None:
        label = formatting.label(entry, lang)
        now = formatting.shown(entry, _float(metric_value(entry, parts)), lang, currency)
        return head + (
            f" — {label} {now}, 达到 {reach}"
            if lang == "zh"
            else f" — {label} {now}; reach {reach}"
        )
    count, name = more
    label = formatting.label(CATALOGUE[name], lang)
    if lang == "zh":
        return f"{head} — 还差 {count} {label}, 达到 {reach}"
    return f"{head} — {count} more {label} reach {reach}"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
