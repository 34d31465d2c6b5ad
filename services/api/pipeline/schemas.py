"""Pipeline health: consumer lag, throughput, dead letters by reason."""

from __future__ import annotations

from datetime import datetime

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


class RawPurges(BaseModel):
    """The raw-event retention job (services/scoring/retention.py) for one shop."""

    shop_id: str
    last_purged_at: datetime = Field(description="When the latest purge that removed rows ran")
    before: datetime = Field(description="Its horizon: dormant buyers' raw events before it")
    buyers: int = Field(description="Dormant buyers purged by that run")
    chat_rows: int
    order_rows: int
    review_rows: int
    total_rows: int = Field(description="Raw rows purged from the shop by every run")


class PipelineHealth(BaseModel):
    broker_reachable: bool
    broker_error: str | None
    consumer_groups: list[GroupLag]
    events_per_second: float = Field(description="Raw events stored during the last minute / 60")
    dead_letters: list[ReasonCount]
    raw_purges: list[RawPurges] = Field(
        description="Per shop, the latest purge of raw events past the retention "
        "(raw_retention_days); results and rollups are kept"
    )
