"""SIGTERM ends each worker service within shared.shutdown.SHUTDOWN_SECONDS even when a
step hangs: ingest and scoring with their broker frozen (connections open, nothing
answers: their batch loops and leaving the group wait on requests that never return; with
only the watchdog, both loops were still waiting when it fired), the webhook dispatcher
with a delivery in flight to a receiver that does not answer before its (long) timeout.
Real processes, as deployed."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.embedded import EmbeddedKafka
from shared.settings import Settings
from shared.shutdown import EXIT_TIMED_OUT, SHUTDOWN_SECONDS
from tests.ingest.harness import spawn_ingest, wait_for_log
from tests.scoring.procs import spawn as spawn_scoring
from tests.webhooks.helpers import enqueue, eventually, shop_with_subscription
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_dispatcher_process import dispatcher_process

pytestmark = pytest.mark.slow
#: the bound, and room for a loaded machine to deliver the signal and reap the process
LIMIT_S = SHUTDOWN_SECONDS + 5.0


@contextmanager
def frozen_broker() -> Iterator[EmbeddedKafka]:
    broker = EmbeddedKafka()
    broker.start()
    try:
        yield broker
    finally:
        broker.resume()
        broker.stop()


async def exits_in_time(process: subprocess.Popen[bytes], log: Path, code: int = 0) -> float:
    """SIGTERM; the seconds until the process ended with `code` (0: on its own, its hung
    steps left behind; EXIT_TIMED_OUT: the watchdog ended it)."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        exited = await asyncio.to_thread(process.wait, LIMIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {LIMIT_S:.0f} s after SIGTERM") from None
    took = time.monotonic() - started
    text = await asyncio.to_thread(log.read_text)
    assert exited == code, (exited, text[-2000:])
    assert "shutdown_requested" in text
    return took


@contextmanager
def reaped(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_ingest_stops_in_time_with_its_broker_frozen(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "ingest.log"
    with frozen_broker() as broker:
        group = f"ingest-shut-{uuid.uuid4().hex[:6]}"
        with reaped(spawn_ingest(database_url, broker.bootstrap, group, log)) as process:
            await wait_for_log(log, "partitions_assigned", 60)
            broker.pause()
            assert await exits_in_time(process, log) < LIMIT_S


async def test_scoring_stops_in_time_with_its_broker_frozen(
    settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "scoring.log"
    with frozen_broker() as broker:
        own = settings.model_copy(update={"kafka_bootstrap_servers": broker.bootstrap})
        group = f"scoring-shut-{uuid.uuid4().hex[:6]}"
        with reaped(spawn_scoring(own, group, log)) as process:
            await wait_for_log(log, "scoring_worker_started", 60)
            broker.pause()
            assert await exits_in_time(process, log) < LIMIT_S


async def test_webhooks_stop_in_time_with_a_delivery_hanging(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "webhooks.log"
    slow = {"WEBHOOK_TIMEOUT_SECONDS": "120", "WEBHOOK_LEASE_SECONDS": "240"}
    with Receiver(delay=60.0) as rx:
        await shop_with_subscription(engine, "shop-shut", rx.url())
        with dispatcher_process(database_url, log, **slow) as process:
            await enqueue(engine, "shop-shut", 1)

            async def in_flight() -> bool:
                return len(rx.requests) >= 1

            await eventually(in_flight, limit=60)
            # The dispatcher finishes and records its deliveries in flight, each within
            # WEBHOOK_TIMEOUT_SECONDS; one longer than the bound is the watchdog's.
            assert await exits_in_time(process, log, EXIT_TIMED_OUT) < LIMIT_S
