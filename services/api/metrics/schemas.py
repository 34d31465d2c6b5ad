"""/v1/metrics rows (SPEC §10): every §5 metric by its name."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.qa_rules import RULES

_EXAMPLE_ROW: dict[str, Any] = {
    "period": "2026-W46",
    "agent_id": "小美",
    "consultations": 40,
    "inquiries": 24,
    "ordered_buyers": 12,
    "paid_buyers": 10,
    "inquiry_conversion_rate": 0.4167,
    "order_payment_rate": 0.8333,
    "paid_orders": 11,
    "sales_amount": "2589.00",
    "avg_order_value": 258.9,
    "refund_amount": "0.00",
    "lost_inquiries": 6,
    "buyer_messages": 310,
    "agent_messages": 402,
    "answer_ratio": 1.2968,
    "responses": 180,
    "avg_response_seconds": 21.5,
    "avg_first_response_seconds": 9.2,
    "slow_responses": 14,
    "unreplied_buyers": 1,
    "sessions": 52,
    "qa_sessions": 50,
    "avg_qa_score": 93.1,
    "reminded_orders": 4,
    "reminder_success_rate": 0.5,
    "violations": dict.fromkeys(RULES, 0),
}


class MetricsRow(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_ROW]})

    period: str = Field(description='"2026-11-11", "2026-W46" (ISO year), "2026-11" or "total"')
    agent_id: str | None = Field(default=None, description="group_by=agent")
    group: str | None = Field(default=None, description='group_by=group ("ungrouped" = none)')
    mentor_id: str | None = Field(
        default=None, description="group_by=mentor: the mentor with all direct apprentices"
    )
    consultations: int
    inquiries: int
    ordered_buyers: int
    paid_buyers: int
    inquiry_conversion_rate: float | None
    order_payment_rate: float | None
    paid_orders: int
    sales_amount: str = Field(pattern=r"^-?[0-9]+\.[0-9]{2}$")
    avg_order_value: float | None
    refund_amount: str = Field(pattern=r"^-?[0-9]+\.[0-9]{2}$")
    lost_inquiries: int
    buyer_messages: int
    agent_messages: int
    answer_ratio: float | None
    responses: int
    avg_response_seconds: float | None
    avg_first_response_seconds: float | None
    slow_responses: int
    unreplied_buyers: int
    sessions: int
    qa_sessions: int
    avg_qa_score: float | None
    reminded_orders: int
    reminder_success_rate: float | None
    violations: dict[str, int] = Field(description="Every QA rule, zeros included")
    # Shop rows (group_by=shop) only:
    placed_orders: int | None = None
    paid_orders_total: int | None = None
    sales_total: str | None = None
    silent_orders: int | None = None
    silent_sales: str | None = None
    cs_sales_share: float | None = None


class MetricsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    granularity: str
    group_by: str
    rows: list[MetricsRow]
