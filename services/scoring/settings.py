"""Scoring settings: the shared environment (shared.settings) plus SCORING_* knobs."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.scoring.input_memo import CAPACITY as MEMO_BUYERS
from services.scoring.rescore import WORKERS as RESCORE_WORKERS
from services.scoring.timeline_cache import EVENT_CAPACITY
from shared.settings import Settings

GROUP_ID = "kefu-scoring"


class ScoringSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="SCORING_")

    # Prometheus exposition port; 0 turns the endpoint off.
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    group_id: str = Field(default=GROUP_ID, min_length=1)
    # Records per batch: one transaction with its offsets.
    max_records: int = Field(default=20_000, ge=1)
    # Events the timeline cache holds across all cached timelines (~1 KB each): the
    # knob of the process's memory (docs/throughput.md).
    timeline_cache_events: int = Field(default=EVENT_CAPACITY, ge=0)
    # Buyers whose last derivation's inputs are remembered (~410 bytes each), to skip
    # re-deriving those whose inputs did not change (input_memo.py).
    input_memo_buyers: int = Field(default=MEMO_BUYERS, ge=0)
    # Run the rescore job poller in this process (false: another process does).
    rescore: bool = True
    # Processes deriving a large shop's rescore (services/scoring/rescore_pool.py); 1: all
    # in this process.
    rescore_workers: int = Field(default=RESCORE_WORKERS, ge=1)
    # A static assignment ("0,1") instead of group membership (a single-process
    # deployment, tests); unset: join the consumer group.
    partitions: list[int] | None = None
    # Group membership tuning: how fast a crashed member's partitions move (unset: the
    # client's defaults).
    session_timeout_ms: int | None = Field(default=None, ge=1000)
    rebalance_timeout_ms: int | None = Field(default=None, ge=1000)
    heartbeat_ms: int | None = Field(default=None, ge=100)
    # Test-only slow-down: each batch waits this long inside its transaction before it
    # commits, so a crash test can show it holds however fast or slow scoring is.
    batch_delay_ms: int = Field(default=0, ge=0)

    @field_validator("partitions", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(p) for p in value.split(",") if p.strip()] or None
        if isinstance(value, int):
            return [value]
        return value

    def consumer_options(self) -> dict[str, object]:
        tuning = {
            "session_timeout_ms": self.session_timeout_ms,
            "rebalance_timeout_ms": self.rebalance_timeout_ms,
            "heartbeat_interval_ms": self.heartbeat_ms,
        }
        return {name: value for name, value in tuning.items() if value is not None}
