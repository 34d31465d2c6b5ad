"""API settings: the shared environment (shared.settings) plus where to listen."""

from __future__ import annotations

from pydantic import Field

from shared.settings import Settings


class ApiSettings(Settings):
    # The interface API_PORT listens on (0.0.0.0 in a container).
    api_host: str = Field(default="127.0.0.1", min_length=1)
