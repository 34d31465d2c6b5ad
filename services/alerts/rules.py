"""Alert rules: what can be watched and how (pure).

A rule compares one metric of the catalogue (domain/catalogue.py), summed over a window
of local days, with a threshold, per agent or for the whole shop; it is judged only once
its sample (by default the catalogue's sample of the metric, e.g. inquiries for
inquiry_conversion_rate) reaches min_sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.catalogue import (
    CATALOGUE,
    Scope,
    is_metric,
    is_sample,
    unknown_metric_message,
    unknown_sample_message,
)
from domain.comparisons import WORDS, holds
from domain.days import local_day

SCOPES = ("agent", "shop")
WINDOWS = ("today", "last_7_days")
COMPARISONS: tuple[str, ...] = tuple(WORDS)


@dataclass(frozen=True, slots=True)
class AlertRule:
    rule_id: str
    scope: Scope
    metric: str
    comparison: str
    threshold: Decimal
    window: str
    agent_id: str | None = None  # scope agent: only this agent (None: every agent)
    min_sample: int = 0
    sample_metric: str | None = None
    cooldown_seconds: int = 3600
    name: str = ""

    def __post_init__(self) -> None:
        problem = validation_problem(self)
        if problem:
            raise ValueError(problem)

    @property
    def sample_of(self) -> str:
        return self.sample_metric or CATALOGUE[self.metric].sample

    @property
    def cooldown(self) -> timedelta:
        return timedelta(seconds=self.cooldown_seconds)

    def breaches(self, value: Decimal) -> bool:
        return holds(value, self.comparison, self.threshold)


def validation_problem(rule: AlertRule) -> str | None:
    """A message a shop can act on, or None when the rule is valid."""
    if rule.scope not in SCOPES:
        return f"scope must be one of {list(SCOPES)}"
    if not is_metric(rule.metric, rule.scope):
        return f"{unknown_metric_message(rule.metric, rule.scope)} (scope {rule.scope})"
    if rule.comparison not in COMPARISONS:
        return f"comparison must be one of {list(COMPARISONS)}"
    if rule.window not in WINDOWS:
        return f"window must be one of {list(WINDOWS)}"
    if rule.scope == "shop" and rule.agent_id is not None:
        return "agent_id applies only to scope 'agent'"
    if rule.sample_metric is not None and not is_sample(rule.sample_metric, rule.scope):
        return unknown_sample_message(rule.sample_metric, rule.scope)
    if rule.min_sample < 0 or rule.cooldown_seconds < 0:
        return "min_sample and cooldown_seconds must not be negative"
    if not rule.threshold.is_finite():
        return "threshold must be a finite number"
    return None


def window_days(window: str, watermark: datetime, timezone: str) -> tuple[date, date]:
    """Inclusive local days of a window, counted from the local day of the shop's
    watermark (event time, never the wall clock: a replay judges the same days)."""
    today = local_day(watermark, timezone)
    if window == "today":
        return today, today
    return today - timedelta(days=6), today
