"""Dispatcher settings: the shared environment (shared.settings) plus WEBHOOK_* tuning.

Whether private targets are allowed is the operator's shared setting
(`Settings.webhook_allow_private_targets`, env WEBHOOK_ALLOW_PRIVATE_TARGETS), read by both
the API (at subscription time) and the dispatcher (at delivery time).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import Settings


class WebhookSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="WEBHOOK_")

    # One attempt's budget (connect + send + response headers), SPEC §8.
    timeout_seconds: float = Field(default=10.0, gt=0)
    # Retry schedule: base * 2^(n-1) capped at max_delay, jittered, for up to max_age after
    # the first attempt. `retry_schedule_scale` multiplies all three (tests use ~1e-4).
    base_delay_seconds: float = Field(default=5.0, gt=0)
    max_delay_seconds: float = Field(default=3600.0, gt=0)
    max_age_seconds: float = Field(default=86400.0, gt=0)
    retry_schedule_scale: float = Field(default=1.0, gt=0)
    # A claimed delivery belongs to its dispatcher until then; must exceed timeout_seconds
    # so that a live dispatcher's attempt is never taken over (a dead one's is, after it).
    lease_seconds: float = Field(default=60.0, gt=0)
    poll_seconds: float = Field(default=1.0, gt=0)
    # Deliveries in flight at once in this dispatcher (its slots; claimed as they free up).
    batch_size: int = Field(default=20, ge=1, le=500)
    # In flight at once per subscription, over all dispatchers: a receiver that hangs
    # holds at most this many slots, the others go on (no head-of-line blocking).
    per_subscription: int = Field(default=4, ge=1, le=500)
    # Delivered rows (and their attempts, and events left with no delivery) are deleted
    # this many days after delivery; failed ones stay for redelivery. 0 = keep forever.
    delivered_retention_days: float = Field(default=7.0, ge=0)
    housekeeping_seconds: float = Field(default=300.0, gt=0)
    # Port for this dispatcher's own /metrics (0 = none; the API's /metrics shows backlog).
    metrics_port: int = Field(default=0, ge=0, le=65535)

    def scaled(self, seconds: float) -> float:
        return seconds * self.retry_schedule_scale

    @property
    def max_age(self) -> float:
        return self.scaled(self.max_age_seconds)
