"""API settings: the shared environment (shared.settings) plus where to listen."""

from __future__ import annotations

from pydantic import Field

from shared.settings import Settings

from .limits import Limits


class ApiSettings(Settings):
    # The interface API_PORT listens on (0.0.0.0 in a container).
    api_host: str = Field(default="127.0.0.1", min_length=1)
    # Abuse limits (services/api/limits.py); a rate of 0 switches that limit off.
    api_rate_per_key: float = Field(default=100.0, ge=0)  # requests/s per API key
    api_burst_per_key: int = Field(default=200, ge=1)
    api_auth_failures_per_minute: float = Field(default=10.0, ge=0)  # per client address
    api_auth_failure_burst: int = Field(default=20, ge=1)
    api_max_body_bytes: int = Field(default=1 << 20, ge=1024)

    def limits(self) -> Limits:
        return Limits(
            key_rate=self.api_rate_per_key,
            key_burst=self.api_burst_per_key,
            auth_failure_rate=self.api_auth_failures_per_minute / 60,
            auth_failure_burst=self.api_auth_failure_burst,
            max_body_bytes=self.api_max_body_bytes,
        )
