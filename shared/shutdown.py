"""Shutdown with a bound: SIGTERM must end a process even when a step hangs (a
connection whose peer is gone, a client library stuck on cancellation).

Two bounds. Each clean-up step runs for at most a few seconds (`bounded`); and from the
first SIGTERM or SIGINT the process has SHUTDOWN_SECONDS in all (`stop_on_signals`), past
which a watchdog thread ends it whatever it is doing, even with its event loop blocked.
What a service had not committed by then is read again (consumers re-read from their
committed offsets, a claimed webhook delivery returns after its lease), as after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Coroutine
from typing import Any

from shared.logging import get_logger

log = get_logger(__name__)

#: one clean-up step of the API at most (uvicorn has drained its requests before)
STEP_SECONDS = 10.0
#: one clean-up step of a worker at most (ingest has four: they and the drain fit within
#: SHUTDOWN_SECONDS even when all hang)
WORKER_STEP_SECONDS = 2.0
#: a worker's batch in hand, from SIGTERM on, at most (scoring's batches took over 3 s on
#: a loaded 2-core machine)
DRAIN_SECONDS = 6.0
#: from SIGTERM to the process's end at the latest (under the launcher's 15 s before its
#: SIGKILL; give an orchestrator's grace period a little more than this)
SHUTDOWN_SECONDS = 14.0
#: the exit code when the watchdog ended the process
EXIT_TIMED_OUT = 3


async def bounded(what: str, step: Awaitable[Any], seconds: float = STEP_SECONDS) -> None:
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


async def drained(
    what: str, work: Coroutine[Any, Any, None], stop: asyncio.Event, grace: float = DRAIN_SECONDS
) -> None:
    """Run `work`, a loop that ends soon after `stop` is set; from then on it has `grace`
    seconds to finish what it has in hand, past which it is cancelled and left behind (a
    request to a peer that hangs). Its own error propagates."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=grace)
            if not done:
                task.cancel()
                log.warning("shutdown_step_timed_out", step=what, seconds=grace)
                return
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        stopped.cancel()
    task.result()


def _give_up(service: str, seconds: float) -> None:
    log.error("shutdown_timed_out", service=service, seconds=seconds)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(EXIT_TIMED_OUT)


def arm_watchdog(service: str, seconds: float = SHUTDOWN_SECONDS) -> threading.Timer:
    """End the process `seconds` from now unless it ended before (a daemon thread: it
    fires even when the event loop is blocked, and never keeps the process alive)."""
    timer = threading.Timer(seconds, _give_up, args=(service, seconds))
    timer.daemon = True
    timer.start()
    return timer


def stop_on_signals(stop: asyncio.Event, service: str, seconds: float = SHUTDOWN_SECONDS) -> None:
    """SIGTERM and SIGINT set `stop`; the first also arms the watchdog: the service then
    has `seconds` to finish its batch in hand, clean up and exit."""
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if not stop.is_set():
            log.info("shutdown_requested", service=service, bound_seconds=seconds)
            arm_watchdog(service, seconds)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
