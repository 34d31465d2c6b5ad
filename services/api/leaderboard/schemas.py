"""Leaderboard responses."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class LeaderboardEntry(BaseModel):
    rank: int = Field(description="1 = best; ties share a rank")
    agent_id: str
    value: float | int | str | None = Field(description="Money metrics as decimal strings")
    sample: int = Field(description="The ratio's denominator (consultations for counts)")
    previous_value: float | int | str | None
    previous_rank: int | None
    change: float | int | str | None = Field(description="value − previous_value")


class Leaderboard(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    metric: str
    order: str
    from_: date = Field(alias="from")
    to: date
    previous_from: date
    previous_to: date
    entries: list[LeaderboardEntry]
    next_cursor: str | None
