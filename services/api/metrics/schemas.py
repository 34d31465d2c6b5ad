"""/v1/metrics rows (SPEC §10): every metric of the catalogue by its name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from domain.metrics import agent_row
from domain.parts import AgentDayParts

from .fields import agent_metric_fields, shop_metric_fields

# A week of one agent, its metrics read by the catalogue's evaluator like any row.
_EXAMPLE_PARTS = AgentDayParts(
    consultations=40,
    inquiries=24,
    aftersale_consultations=10,
    midsale_consultations=6,
    ordered_buyers=12,
    paid_buyers=10,
    paid_orders=11,
    sales_amount=Decimal("2589.00"),
    lost_inquiries=6,
    buyer_messages=310,
    agent_messages=402,
    responses=180,
    response_us_sum=3_870_000_000,
    first_responses=50,
    first_response_us_sum=460_000_000,
    slow_responses=14,
    unreplied_buyers=1,
    sessions=52,
    qa_sessions=50,
    qa_score_sum=4655,
    reminded_orders=4,
    reminder_successes=2,
    v_slow_reply=14,
)
_EXAMPLE_ROW: dict[str, Any] = {
    "period": "2026-W46",
    "agent_id": "小美",
    **agent_row(_EXAMPLE_PARTS),
}


class RowKeys(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_ROW]})

    period: str = Field(description='"2026-11-11", "2026-W46" (ISO year), "2026-11" or "total"')
    agent_id: str | None = Field(default=None, description="group_by=agent")
    group: str | None = Field(default=None, description='group_by=group ("ungrouped" = none)')
    mentor_id: str | None = Field(
        default=None, description="group_by=mentor: the mentor with all direct apprentices"
    )


MetricsRow: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "MetricsRow",
    __base__=RowKeys,
    __doc__="One period and key: every per-agent metric; shop rows add the shop-level ones.",
    **agent_metric_fields(),
    **shop_metric_fields(),
)


class MetricsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    granularity: str
    group_by: str
    rows: list[MetricsRow]  # type: ignore[valid-type]
