"""Shutdown steps with a bound: SIGTERM must end a process even when a step hangs (a
connection whose peer is gone, a client library stuck on cancellation)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from shared.logging import get_logger

log = get_logger(__name__)

STEP_SECONDS = 10.0


async def bounded(what: str, step: Coroutine[Any, Any, Any], seconds: float = STEP_SECONDS) -> None:
    """Run a shutdown step for at most `seconds`; past that, log it, cancel it and go on
    without waiting for the cancellation (which may hang as well)."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("shutdown_step_failed", step=what, error=repr(exc)[:200])
        return
    task.cancel()
    log.warning("shutdown_step_timed_out", step=what, seconds=seconds)
