"""Pipeline health: consumer lag, throughput, dead letters by reason."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PartitionLag(BaseModel):
    topic: str
    partition: int
    committed: int | None = Field(description="Next offset the group will read")
    end: int = Field(description="The broker's log end offset")
    lag: int


class GroupLag(BaseModel):
    group_id: str
    source: str = Field(description="'postgres' (scoring stores its offsets) or 'kafka'")
    total_lag: int | None
    partitions: list[PartitionLag]


class ReasonCount(BaseModel):
    reason: str
    last_24h: int
    total: int


class PipelineHealth(BaseModel):
    broker_reachable: bool
    broker_error: str | None
    consumer_groups: list[GroupLag]
    events_per_second: float = Field(description="Raw events stored during the last minute / 60")
    dead_letters: list[ReasonCount]
