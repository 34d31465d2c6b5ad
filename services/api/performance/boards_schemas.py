"""Response bodies of leaderboards and mentor views."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.performance.metric_values import Direction

Value = int | float | str | None


class StandingOut(BaseModel):
    rank: int = Field(description="1..n; ties broken by agent_id in code-point order")
    agent_id: str
    value: Value
    previous_value: Value = Field(
        description="the previous period's value; null if none or below the minimum sample"
    )
    change: Value = Field(description="value − previous_value, in the metric's units")
    improvement: Value = Field(description="change, or −change for lower-is-better metrics")


class LeaderboardOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    metric: str
    period: str
    previous_period: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    direction: Direction
    group: str | None
    sample_metric: str
    min_sample: int
    rows: list[StandingOut]


class MentorViewOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    mentor_id: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    mentor: dict[str, Any] = Field(description="the mentor's own metrics")
    apprentices: list[dict[str, Any]] = Field(description="each direct apprentice, by agent_id")
    team: dict[str, Any] = Field(description="mentor + apprentices summed, ratios from sums")
