"""`python -m services.webhooks` as real subprocesses: SIGKILL mid-run, and two at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .helpers import attempts, enqueue, eventually, shop_with_subscription, statuses
from .receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@contextmanager
def dispatcher_process(
    database_url: str, log: Path, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_POLL_SECONDS": "0.05",
        "WEBHOOK_BATCH_SIZE": "4",
        # Room for both: with the per-subscription cap at one dispatcher's slots, the one
        # whose deliveries finish claims the freed slots first and the other never gets any.
        "WEBHOOK_PER_SUBSCRIPTION": "8",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_LEASE_SECONDS": "3",  # > timeout: a live dispatcher never loses its lease
        "WEBHOOK_RETRY_SCHEDULE_SCALE": "0.001",
        **extra,
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.webhooks"],
            cwd=ROOT,
            env=env,
            stderr=out,
            stdout=out,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def test_sigkill_mid_run_then_restart_loses_no_delivery(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    with Receiver(delay=0.1) as rx:
        await shop_with_subscription(engine, "shop-kill", rx.url())
        ids = await enqueue(engine, "shop-kill", 40)
        with dispatcher_process(database_url, tmp_path / "d1.log") as first:

            async def some_received() -> bool:
                return len(rx.requests) >= 8

            await eventually(some_received)
            first.send_signal(signal.SIGKILL)
            first.wait()
        left = [s for s in (await statuses(engine, "shop-kill")).values() if s != "delivered"]
        assert left, "the kill must land mid-run for this test to mean anything"
        with dispatcher_process(database_url, tmp_path / "d2.log"):

            async def all_delivered() -> bool:
                found = await statuses(engine, "shop-kill")
                return set(found.values()) == {"delivered"}

            await eventually(all_delivered, limit=60)
    received = rx.ids()
    assert set(received) == set(ids)
    # Only the attempts in flight at the kill may repeat (at least once; same webhook-id).
    assert len(received) - len(set(received)) <= 4
    interrupted = [a for a in await attempts(engine, "shop-kill") if a["error"]]
    assert all(a["error"].startswith("interrupted") for a in interrupted)


async def test_two_dispatchers_never_send_the_same_attempt_twice(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    with Receiver(delay=0.03) as rx:
        await shop_with_subscription(engine, "shop-pair", rx.url())
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        with dispatcher_process(database_url, logs[0]), dispatcher_process(database_url, logs[1]):

            async def both_started() -> bool:  # else the first may take all before the second runs
                return all("webhook_dispatcher_started" in log.read_text() for log in logs)

            await eventually(both_started, limit=60)
            ids = await enqueue(engine, "shop-pair", 60)

            async def all_delivered() -> bool:
                found = await statuses(engine, "shop-pair")
                return len(found) == 60 and set(found.values()) == {"delivered"}

            await eventually(all_delivered, limit=60)
    received = Counter(rx.ids())
    assert set(received) == set(ids)
    assert max(received.values()) == 1, "a delivery was sent twice"
    tries = await attempts(engine, "shop-pair")
    assert len(tries) == 60 and {a["attempt_no"] for a in tries} == {1}
    shares = [log.read_text().count('"event": "webhook_attempt"') for log in logs]
    assert sum(shares) == 60 and min(shares) > 0, shares
