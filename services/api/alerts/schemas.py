"""Alert rules as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.catalogue import SAMPLES, names

Metric = Annotated[
    str,
    Field(
        description="A metric of the catalogue (GET /v1/metric-definitions) by name; "
        "`violations.<rule>` for one QA rule's count. Shop-level metrics (placed_orders, "
        "cs_sales_share, …) need scope `shop`.",
        json_schema_extra={"enum": list(names("shop"))},
        examples=["inquiry_conversion_rate"],
    ),
]
SampleMetric = Annotated[
    str | None,
    Field(
        description="The count min_sample applies to; default: the metric's sample in the "
        "catalogue (its denominator for a ratio: inquiries for inquiry_conversion_rate).",
        json_schema_extra={"enum": [*SAMPLES, None]},
    ),
]
Comparison = Literal["lt", "lte", "gt", "gte"]
Window = Literal["today", "last_7_days"]
Scope = Literal["agent", "shop"]

_EXAMPLE: dict[str, Any] = {
    "name": "conversion below 40 %",
    "scope": "agent",
    "metric": "inquiry_conversion_rate",
    "comparison": "lt",
    "threshold": 0.4,
    "window": "today",
    "min_sample": 20,
    "cooldown_seconds": 3600,
}


class AlertRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: str = Field(default="", max_length=200)
    scope: Scope
    agent_id: str | None = Field(
        default=None,
        max_length=128,
        description="scope agent: only this agent; omitted = every agent, each on its own",
    )
    metric: Metric
    comparison: Comparison = Field(description="breached while `value <comparison> threshold`")
    threshold: Decimal = Field(description="rates are fractions: 0.4 for 40 %")
    window: Window = Field(
        description="local days counted back from the day of the shop's watermark (its "
        "latest event time): today = that day, last_7_days = it and the 6 before"
    )
    min_sample: int = Field(default=0, ge=0, description="judged only from this sample on")
    sample_metric: SampleMetric = None
    cooldown_seconds: int = Field(
        default=3600,
        ge=0,
        le=30 * 86400,
        description="no second alert.breached for this rule and scope within this time",
    )
    enabled: bool = True


class AlertRulePatch(BaseModel):
    """Fields to change; the result is validated as a whole."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"threshold": 0.35}]})

    name: str | None = Field(default=None, max_length=200)
    scope: Scope | None = None
    agent_id: str | None = Field(default=None, max_length=128)
    metric: Metric | None = None
    comparison: Comparison | None = None
    threshold: Decimal | None = None
    window: Window | None = None
    min_sample: int | None = Field(default=None, ge=0)
    sample_metric: SampleMetric = None
    cooldown_seconds: int | None = Field(default=None, ge=0, le=30 * 86400)
    enabled: bool | None = None


class AlertStateOut(BaseModel):
    scope: Scope
    agent_id: str | None
    breached: bool
    value: float | None = Field(description="the value at the last transition")
    sample: int | None
    last_breached_at: datetime | None
    last_resolved_at: datetime | None


class AlertRuleOut(BaseModel):
    rule_id: str
    name: str
    scope: Scope
    agent_id: str | None
    metric: str
    comparison: Comparison
    threshold: float
    window: Window
    min_sample: int
    sample_metric: str = Field(description="the count min_sample applies to (resolved)")
    cooldown_seconds: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class AlertRuleDetail(AlertRuleOut):
    states: list[AlertStateOut] = Field(
        description="the rule's current judgement per scope (agents that ever breached)"
    )
