"""httpx (webhook deliveries, the soak's API load) asks sniffio which event loop runs each
request; without sniffio installed, httpcore tried the import again on every request
(~375 µs each on this machine, against ~2 µs: pyproject.toml)."""

from __future__ import annotations

import sys

from httpcore._synchronization import current_async_library


async def test_the_event_loop_is_found_without_a_failed_import() -> None:
    assert current_async_library() == "asyncio"
    assert "sniffio" in sys.modules
