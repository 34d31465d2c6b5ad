"""Bodies of /v1/targets."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.comparisons import Comparison

from ..params import NO_NUL, STRICT, AgentId, MetricName, Number, Value

# --- targets ----------------------------------------------------------------------------


class TargetIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "agent_id": "小美",
                    "period": "2026-W46",
                    "metric": "inquiry_conversion_rate",
                    "value": 0.52,
                }
            ]
        },
    )
    agent_id: str = AgentId
    period: str = Field(
        description="ISO week 2026-W46 or month 2026-11", max_length=16, pattern=NO_NUL
    )
    metric: str = MetricName
    value: Number
    comparison: Comparison | None = Field(
        default=None, description="default: >= for higher-is-better metrics, <= otherwise"
    )


class TargetPatch(BaseModel):
    model_config = STRICT
    value: Number | None = None
    comparison: Comparison | None = None


class AttainmentOut(BaseModel):
    value: Value = Field(description="the agent's metric over the period; null if none")
    target: str
    ratio: float | None = Field(description="value / target; null without value or target 0")
    met: bool


class TargetOut(BaseModel):
    id: str
    agent_id: str
    period: str
    metric: str
    comparison: Comparison
    value: str
    attainment: AttainmentOut
    created_at: datetime
    updated_at: datetime
