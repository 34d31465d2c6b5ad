"""Response bodies of leaderboards and mentor views."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, create_model

from domain.catalogue import Direction

from ...metrics.fields import agent_metric_fields

Value = int | float | str | None


class StandingOut(BaseModel):
    rank: int = Field(
        description="1 = best; equal values share a rank and the next rank counts them "
        "(1, 2, 2, 4); within a tie, agents by agent_id in code-point order"
    )
    agent_id: str
    value: Value = Field(description="the metric over the period, as /v1/metrics shows it")
    sample: int = Field(description="the agent's sample_metric over the period")
    previous_value: Value = Field(
        description="the previous period's value; null if none or below the minimum sample"
    )
    previous_rank: int | None = Field(
        description="the agent's rank on the previous period's best board (same rule)"
    )
    change: Value = Field(description="value − previous_value, in the metric's units")
    improvement: Value = Field(description="change, or −change for lower-is-better metrics")


class LeaderboardOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    metric: str
    period: str
    previous_period: str = Field(description="the previous ISO week, or calendar month")
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    previous_start: date = Field(alias="previous_from")
    previous_end: date = Field(alias="previous_to")
    direction: Direction
    group: str | None
    sample_metric: str
    min_sample: int
    items: list[StandingOut]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


class _MentorRowKeys(BaseModel):
    agent_id: str | None = Field(description="null on the team row")
    group: str | None = Field(description="the agent's group; null on the team row")


MentorRow: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "MentorRow",
    __base__=_MentorRowKeys,
    __doc__="One agent's (or the team's) metrics over the range, as /v1/metrics shows them.",
    **agent_metric_fields(),
)


class MentorViewOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    mentor_id: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    mentor: MentorRow = Field(description="the mentor's own metrics")  # type: ignore[valid-type]
    apprentices: list[MentorRow] = Field(  # type: ignore[valid-type]
        description="each direct apprentice, by agent_id"
    )
    team: MentorRow = Field(  # type: ignore[valid-type]
        description="mentor + apprentices summed, ratios from sums"
    )
