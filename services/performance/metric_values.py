"""Exact metric values for thresholds: every SPEC §5 per-agent metric as a Decimal.

services/scoring/core/metrics.read_ratios gives the display values (floats for ratios);
thresholds need exact arithmetic instead: 539 paid of 1000 inquiries is 0.539 and must
not reach a 0.54 tier, and 0.58 − 0.54 must be exactly two steps of 0.02, which binary
floats get wrong. Ratios here divide the same summed parts with the same formulas, in a
34-digit decimal context (a test holds them equal to read_ratios).

Beyond §5 names: "violations" is the total over every QA rule and "violations.<rule>"
one rule's count (SPEC §6), so plans can deduct or require on them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Literal

from domain.parts import AgentDayParts
from domain.qa_rules import RULES

Direction = Literal["higher", "lower"]
Kind = Literal["count", "money", "rate", "average"]
Comparison = Literal[">=", ">", "<=", "<", "=="]

CONTEXT = Context(prec=34)
_US = 1_000_000

COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True, slots=True)
class MetricInfo:
    name: str
    kind: Kind
    # Which way is better: "best" leaderboards and default target comparisons follow it.
    direction: Direction


def _info(kind: Kind, lower: tuple[str, ...], *names: str) -> dict[str, MetricInfo]:
    return {n: MetricInfo(n, kind, "lower" if n in lower else "higher") for n in names}


_LOWER_IS_BETTER = (
    "lost_inquiries",
    "refund_amount",
    "avg_response_seconds",
    "avg_first_response_seconds",
    "slow_responses",
    "unreplied_buyers",
    "violations",
)
_COUNTS = (
    "consultations",
    "inquiries",
    "ordered_buyers",
    "paid_buyers",
    "paid_orders",
    "lost_inquiries",
    "buyer_messages",
    "agent_messages",
    "responses",
    "slow_responses",
    "unreplied_buyers",
    "sessions",
    "qa_sessions",
    "reminded_orders",
    "violations",
)
# name -> (numerator part, denominator part, denominator scale)
_RATIOS: dict[str, tuple[str, str, int]] = {
    "inquiry_conversion_rate": ("paid_buyers", "inquiries", 1),
    "order_payment_rate": ("paid_buyers", "ordered_buyers", 1),
    "answer_ratio": ("agent_messages", "buyer_messages", 1),
    "reminder_success_rate": ("reminder_successes", "reminded_orders", 1),
    "avg_order_value": ("sales_amount", "paid_buyers", 1),
    "avg_response_seconds": ("response_us_sum", "responses", _US),
    "avg_first_response_seconds": ("first_response_us_sum", "first_responses", _US),
    "avg_qa_score": ("qa_score_sum", "qa_sessions", 1),
}
_RATES = ("inquiry_conversion_rate", "order_payment_rate", "answer_ratio", "reminder_success_rate")

METRICS: dict[str, MetricInfo] = {
    **_info("count", _LOWER_IS_BETTER, *_COUNTS),
    **_info("money", _LOWER_IS_BETTER, "sales_amount", "refund_amount"),
    **_info("rate", _LOWER_IS_BETTER, *_RATES),
    **_info("average", _LOWER_IS_BETTER, *(n for n in _RATIOS if n not in _RATES)),
    **{f"violations.{r}": MetricInfo(f"violations.{r}", "count", "lower") for r in RULES},
}


def is_metric(name: str) -> bool:
    return name in METRICS


def unknown_metric_message(name: str) -> str:
    return f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}"


def metric_value(parts: AgentDayParts | None, name: str) -> Decimal | None:
    """The exact value of a metric over summed parts; None for a zero denominator or for
    no parts at all (an agent with no agent_daily row in the period has no value)."""
    if parts is None:
        return None
    if name in _RATIOS:
        num, den, scale = _RATIOS[name]
        denominator = getattr(parts, den) * scale
        if denominator == 0:
            return None
        return CONTEXT.divide(Decimal(getattr(parts, num)), Decimal(denominator))
    if name == "violations":
        return Decimal(sum(getattr(parts, f"v_{r}") for r in RULES))
    if name.startswith("violations."):
        return Decimal(getattr(parts, f"v_{name.removeprefix('violations.')}"))
    if name in METRICS:
        return Decimal(getattr(parts, name))
    raise KeyError(unknown_metric_message(name))


def render(name: str, value: Decimal | None) -> int | float | str | None:
    """JSON form, as /v1/metrics shows it: counts int, money a 2-place string, else float."""
    if value is None:
        return None
    kind = METRICS[name].kind
    if kind == "count":
        return int(value)
    if kind == "money":
        return str(value.quantize(Decimal("0.01")))
    return float(value)


def render_decimal(value: Decimal | None) -> str | None:
    """Thresholds, baselines and amounts: exact decimal strings, no exponent."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text
