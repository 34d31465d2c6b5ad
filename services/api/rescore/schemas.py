"""Rescore jobs: recompute a shop's history from its raw events (scoring picks them up)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class RescoreJobOut(BaseModel):
    job_id: str
    shop_id: str
    status: Literal["queued", "running", "done", "failed"]
    buyers_done: int
    buyers_total: int
    events_done: int
    events_total: int
    progress: float | None = Field(description="events_done / events_total")
    events_per_second: float | None = Field(description="Since the job started")
    seconds_left: float | None = Field(description="At the rate so far")
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
