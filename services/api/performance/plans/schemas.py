"""Bodies of /v1/bonus-plans and /v1/honour-plans: plans, computed bonuses and levels."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.catalogue import Direction
from domain.comparisons import Comparison
from services.performance.periods import PeriodKind

from ..params import NO_NUL, STRICT, Amount, MetricName, Number, Value

# --- bonus plans ------------------------------------------------------------------------


class TierIn(BaseModel):
    model_config = STRICT
    threshold: Number = Field(description="absolute, or an offset over the baseline")
    amount: Amount


class StepIn(BaseModel):
    model_config = STRICT
    every: Number = Field(description="per full `every` beyond the top tier, in metric units")
    amount: Amount


class MinSampleIn(BaseModel):
    model_config = STRICT
    metric: str | None = Field(
        default=None,
        max_length=64,
        pattern=NO_NUL,
        description="a count (GET /v1/metric-definitions); default: the plan metric's sample "
        "(inquiries for inquiry_conversion_rate)",
    )
    minimum: Number


class BonusPlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "询单转化周奖金",
                    "metric": "inquiry_conversion_rate",
                    "period": "week",
                    "tiers": [
                        {"threshold": "0.50", "amount": "800"},
                        {"threshold": "0.52", "amount": "1200"},
                        {"threshold": "0.54", "amount": "1600"},
                    ],
                    "step": {"every": "0.02", "amount": "400"},
                    "deductions": {"forbidden_words": "50"},
                    "min_sample": {"metric": "inquiries", "minimum": 20},
                }
            ]
        },
    )
    name: str = Field(default="", max_length=200, pattern=NO_NUL)
    metric: str = MetricName
    period: PeriodKind
    tiers: list[TierIn] = Field(max_length=100, description="lowest tier first")
    direction: Direction | None = Field(
        default=None,
        description="higher: value >= threshold reaches a tier (default for "
        "higher-is-better metrics); lower: value <= threshold, tiers listed going down",
    )
    baseline_periods: int | None = Field(
        default=None,
        description="relative tiers: thresholds are offsets over the agent's baseline, the "
        "metric over its previous N periods taken together (from their summed parts: "
        "Σ paid_buyers / Σ inquiries, not a mean of the periods' values); null: absolute "
        "thresholds",
    )
    step: StepIn | None = Field(default=None, description="uncapped steps beyond the top tier")
    deductions: dict[str, Amount] = Field(
        default_factory=dict, description="QA rule -> amount deducted per violation"
    )
    min_sample: MinSampleIn | None = None


class TierOut(BaseModel):
    threshold: str
    amount: str


class StepOut(BaseModel):
    every: str
    amount: str


class MinSampleOut(BaseModel):
    metric: str
    minimum: str


class BonusPlanOut(BaseModel):
    id: str
    name: str
    metric: str
    period: PeriodKind
    tiers: list[TierOut]
    direction: Direction
    baseline_periods: int | None
    step: StepOut | None
    deductions: dict[str, str] = Field(description="QA rule -> amount per violation")
    min_sample: MinSampleOut | None
    created_at: datetime
    updated_at: datetime


class DeductionOut(BaseModel):
    rule: str
    violations: int = Field(
        description="违规次数: the agent's violations of the rule in the period"
    )
    amount_per_violation: str
    amount: str


class BonusOut(BaseModel):
    agent_id: str
    value: Value
    reason: Literal["no_value", "below_min_sample", "no_baseline"] | None = Field(
        description="why no tier could be reached (null: the value was compared)"
    )
    baseline: str | None
    thresholds: list[str] = Field(description="effective thresholds, lowest tier first")
    tier: int | None = Field(description="index of the tier reached, 0 = the first")
    tier_amount: str
    steps_beyond_top: int
    step_amount: str
    gross: str
    deductions: list[DeductionOut]
    deductions_total: str
    total: str = Field(description="max(0, gross − deductions)")


class BonusReport(BaseModel):
    plan_id: str
    period: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    total: str
    bonuses: list[BonusOut]
    model_config = ConfigDict(populate_by_name=True)


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
