"""Alert rules: what can be watched and how (pure).

A rule compares one SPEC §5 metric, summed over a window of local days, with a threshold,
per agent or for the whole shop; it is judged only once its sample (by default the
metric's denominator, e.g. inquiries for inquiry_conversion_rate) reaches min_sample.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.days import local_day
from domain.parts import AgentDayParts, ShopDayParts
from domain.qa_rules import RULES
from services.scoring.core.metrics import read_ratios, read_shop_ratios

SCOPES = ("agent", "shop")
WINDOWS = ("today", "last_7_days")
COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}

# Every per-agent §5 metric by name; `violations.<rule>` for one QA rule's count.
AGENT_METRICS: tuple[str, ...] = (
    *(name for name in read_ratios(AgentDayParts()) if name != "violations"),
    *(f"violations.{rule}" for rule in RULES),
)
# Shop rules may also watch the shop-level additions (placed_orders, cs_sales_share, …).
SHOP_METRICS: tuple[str, ...] = (*AGENT_METRICS, *read_shop_ratios(ShopDayParts()))

# What min_sample counts: any integer part (inquiries, responses, placed_orders, …).
SAMPLE_METRICS: tuple[str, ...] = tuple(
    f for cls in (AgentDayParts, ShopDayParts) for f in cls.FIELDS if f not in cls.DECIMAL_FIELDS
)

# A ratio's natural sample is its denominator; other metrics default to consultations.
_DEFAULT_SAMPLE = {
    "inquiry_conversion_rate": "inquiries",
    "order_payment_rate": "ordered_buyers",
    "avg_order_value": "paid_buyers",
    "answer_ratio": "buyer_messages",
    "avg_response_seconds": "responses",
    "avg_first_response_seconds": "first_responses",
    "avg_qa_score": "qa_sessions",
    "reminder_success_rate": "reminded_orders",
    "cs_sales_share": "paid_orders_total",
    "placed_orders": "placed_orders",
    "paid_orders_total": "paid_orders_total",
    "sales_total": "paid_orders_total",
    "silent_orders": "placed_orders",
    "silent_sales": "paid_orders_total",
    **{f"violations.{rule}": "qa_sessions" for rule in RULES},
}


@dataclass(frozen=True, slots=True)
class AlertRule:
    rule_id: str
    scope: str  # agent | shop
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
        return self.sample_metric or _DEFAULT_SAMPLE.get(self.metric, "consultations")

    @property
    def cooldown(self) -> timedelta:
        return timedelta(seconds=self.cooldown_seconds)

    def breaches(self, value: Decimal) -> bool:
        return COMPARISONS[self.comparison](value, self.threshold)


def validation_problem(rule: AlertRule) -> str | None:
    """A message a shop can act on, or None when the rule is valid."""
    if rule.scope not in SCOPES:
        return f"scope must be one of {list(SCOPES)}"
    metrics = AGENT_METRICS if rule.scope == "agent" else SHOP_METRICS
    if rule.metric not in metrics:
        return f"unknown metric {rule.metric!r} for scope {rule.scope}; one of {list(metrics)}"
    if rule.comparison not in COMPARISONS:
        return f"comparison must be one of {list(COMPARISONS)}"
    if rule.window not in WINDOWS:
        return f"window must be one of {list(WINDOWS)}"
    if rule.scope == "shop" and rule.agent_id is not None:
        return "agent_id applies only to scope 'agent'"
    if rule.sample_metric is not None and rule.sample_metric not in SAMPLE_METRICS:
        return f"unknown sample_metric {rule.sample_metric!r}; one of {list(SAMPLE_METRICS)}"
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
