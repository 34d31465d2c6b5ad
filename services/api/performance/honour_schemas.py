"""Bodies of /v1/honour-plans and computed levels."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.comparisons import Comparison
from services.performance.periods import PeriodKind

from .schemas import NO_NUL, STRICT, MetricName, Number, Value

# --- honour plans -----------------------------------------------------------------------


class RequirementIn(BaseModel):
    model_config = STRICT
    metric: str = MetricName
    comparison: Comparison
    value: Number


class LevelIn(BaseModel):
    model_config = STRICT
    name: str = Field(max_length=64, pattern=NO_NUL)
    requirements: list[RequirementIn] = Field(max_length=50)


class HonourPlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "月度荣誉",
                    "period": "month",
                    "levels": [
                        {
                            "name": "铜牌",
                            "requirements": [
                                {"metric": "inquiries", "comparison": ">=", "value": 100}
                            ],
                        },
                        {
                            "name": "银牌",
                            "requirements": [
                                {"metric": "inquiries", "comparison": ">=", "value": 100},
                                {
                                    "metric": "inquiry_conversion_rate",
                                    "comparison": ">=",
                                    "value": 0.45,
                                },
                            ],
                        },
                    ],
                }
            ]
        },
    )
    name: str = Field(default="", max_length=200, pattern=NO_NUL)
    period: PeriodKind = "month"
    levels: list[LevelIn] = Field(description="lowest level first")


class RequirementOut(BaseModel):
    metric: str
    comparison: Comparison
    value: str


class LevelOut(BaseModel):
    name: str
    requirements: list[RequirementOut]


class HonourPlanOut(BaseModel):
    id: str
    name: str
    period: PeriodKind
    levels: list[LevelOut] = Field(description="lowest level first")
    created_at: datetime
    updated_at: datetime


class RequirementResultOut(BaseModel):
    metric: str
    comparison: Comparison
    value: str
    actual: Value
    held: bool


class LevelResultOut(BaseModel):
    name: str
    held: bool
    requirements: list[RequirementResultOut]


class AgentLevelOut(BaseModel):
    agent_id: str
    level: str | None = Field(description="the highest level whose requirements all hold")
    levels: list[LevelResultOut]


class LevelReport(BaseModel):
    plan_id: str
    period: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    agents: list[AgentLevelOut]
    model_config = ConfigDict(populate_by_name=True)
