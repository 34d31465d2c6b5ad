"""Ingest settings: the shared environment (shared.settings) plus the ingest knobs (INGEST_*)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import AwareDatetime, Field

from shared.settings import Settings


class IngestSettings(Settings):
    # Prometheus exposition port; 0 turns the endpoint off.
    ingest_metrics_port: int = Field(default=9101, ge=0, le=65535)
    ingest_group_id: str = "kefu-ingest"
    # Records per batch: one DB transaction, one produce round and one offset commit each.
    ingest_max_batch: int = Field(default=5000, ge=1)
    ingest_poll_timeout_ms: int = Field(default=500, ge=1)
    # How long a shop lookup (known or unknown) is trusted: a new shop is seen this fast.
    ingest_shop_cache_seconds: float = Field(default=2.0, ge=0)
    # A killed worker's partitions move to the others after this long without heartbeats.
    ingest_session_timeout_ms: int = Field(default=30_000, ge=1000)
    # A fixed "now" for the clock checks (more than 5 min ahead, older than the shop's
    # retention), e.g. 2026-11-23T12:00:00Z: tests pin it, and so can a replay of an
    # archived stream. Unset: the system clock.
    ingest_now: AwareDatetime | None = None

    def clock(self) -> Callable[[], datetime]:
        pinned = self.ingest_now
        if pinned is None:
            return lambda: datetime.now(UTC)
        return lambda: pinned
