"""Pure ranking of agents by a metric, with the change against the previous period.

Kept apart from the SQL so that other boards (e.g. "most improved") reuse it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from domain.metrics import agent_row
from domain.parts import AgentDayParts

# Every rankable metric → the part counting its sample (the ratio's denominator).
SAMPLE_OF: dict[str, str] = {
    "inquiry_conversion_rate": "inquiries",
    "order_payment_rate": "ordered_buyers",
    "avg_order_value": "paid_buyers",
    "answer_ratio": "buyer_messages",
    "avg_response_seconds": "responses",
    "avg_first_response_seconds": "first_responses",
    "avg_qa_score": "qa_sessions",
    "reminder_success_rate": "reminded_orders",
    # Additive metrics: the sample is the agent's consultations.
    **{
        name: "consultations"
        for name in (
            "consultations",
            "inquiries",
            "ordered_buyers",
            "paid_buyers",
            "paid_orders",
            "sales_amount",
            "refund_amount",
            "lost_inquiries",
            "buyer_messages",
            "agent_messages",
            "responses",
            "slow_responses",
            "unreplied_buyers",
            "sessions",
            "qa_sessions",
            "reminded_orders",
        )
    },
}
# Metrics where less is better rank ascending unless the caller says otherwise.
LOWER_IS_BETTER = frozenset(
    {
        "avg_response_seconds",
        "avg_first_response_seconds",
        "slow_responses",
        "unreplied_buyers",
        "lost_inquiries",
        "refund_amount",
    }
)
Order = Literal["asc", "desc"]


def default_order(metric: str) -> Order:
    return "asc" if metric in LOWER_IS_BETTER else "desc"


@dataclass(frozen=True, slots=True)
class Scored:
    agent_id: str
    value: Decimal | float | int | None
    sample: int


def score(parts: Mapping[str, AgentDayParts], metric: str, min_sample: int) -> list[Scored]:
    """Each agent's value; agents under min_sample are left out."""
    sample_field = SAMPLE_OF[metric]
    scored = []
    for agent_id, p in parts.items():
        sample = int(getattr(p, sample_field))
        if sample < min_sample:
            continue
        value = (
            getattr(p, metric)
            if metric in ("sales_amount", "refund_amount")
            else (agent_row(p)[metric])
        )
        scored.append(Scored(agent_id, value, sample))
    return scored


def ranks(scored: list[Scored], order: Order) -> list[tuple[int, Scored]]:
    """Competition ranking (1, 2, 2, 4); null values last, ties by agent_id code points."""
    with_value = [s for s in scored if s.value is not None]
    sign = -1 if order == "desc" else 1
    with_value.sort(key=lambda s: (sign * s.value, s.agent_id))  # type: ignore[operator]
    nulls = sorted((s for s in scored if s.value is None), key=lambda s: s.agent_id)
    result: list[tuple[int, Scored]] = []
    for i, s in enumerate(with_value):
        tied = result and result[-1][1].value == s.value
        result.append((result[-1][0] if tied else i + 1, s))
    result.extend((len(with_value) + 1, s) for s in nulls)
    return result


def _out(value: Decimal | float | int | None) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def entries(
    current: Mapping[str, AgentDayParts],
    previous: Mapping[str, AgentDayParts],
    *,
    metric: str,
    min_sample: int,
    order: Order,
) -> list[dict[str, Any]]:
    before = {
        s.agent_id: (rank, s) for rank, s in ranks(score(previous, metric, min_sample), order)
    }
    rows = []
    for rank, s in ranks(score(current, metric, min_sample), order):
        prev_rank, prev = before.get(s.agent_id, (None, None))
        prev_value = prev.value if prev is not None else None
        change = None
        if s.value is not None and prev_value is not None:
            change = s.value - prev_value  # type: ignore[operator]
        rows.append(
            {
                "rank": rank,
                "agent_id": s.agent_id,
                "value": _out(s.value),
                "sample": s.sample,
                "previous_value": _out(prev_value),
                "previous_rank": prev_rank,
                "change": _out(change),
            }
        )
    return rows
