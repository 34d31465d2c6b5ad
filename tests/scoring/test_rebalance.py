"""Two scoring processes in one consumer group, a rebalance mid-stream (one joins, then
the other leaves): the final results equal the batch recomputation."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.settings import Settings
from tests.scoring.procs import (
    assert_matches_batch,
    make_events,
    spawn,
    stop,
)
from tests.scoring.stream import ingest, wait_caught_up

pytestmark = pytest.mark.slow


async def _wait_for_assignments(log: Path, count: int, limit: float = 90.0) -> None:
    """Until the shared log holds `count` partitions_assigned lines (joins take seconds)."""
    deadline = asyncio.get_running_loop().time() + limit
    while _tail(log).count("partitions_assigned") < count:
        assert asyncio.get_running_loop().time() < deadline, _tail(log)[-3000:]
        await asyncio.sleep(0.1)


def _tail(log: Path) -> str:
    return log.read_text()


async def test_two_workers_rebalance_mid_stream(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    """The stream arrives in thirds so that each rebalance surely falls mid-stream, however
    fast the workers are: the first third to worker 1 alone; worker 2 joins (both are
    reassigned) before the second third; worker 1 leaves (2 takes all) before the last."""
    group = f"rebal-{uuid.uuid4().hex[:6]}"
    events = await make_events(engine, settings, 30_000, seed=202, ingest_now=False)
    cut = len(events) // 3
    thirds = [events[:cut], events[cut : 2 * cut], events[2 * cut :]]
    log = tmp_path / "scoring.log"
    log.touch()
    await ingest(engine, settings, thirds[0])
    first = spawn(settings, group, log)
    second = None
    try:
        await _wait_for_assignments(log, 1)
        await wait_caught_up(engine, settings, group, limit=120, check=lambda: _alive(first, log))
        second = spawn(settings, group, log)  # joins: partitions are split
        await _wait_for_assignments(log, 3)  # worker 1 reassigned, worker 2 assigned
        await ingest(engine, settings, thirds[1])
        await wait_caught_up(engine, settings, group, limit=120, check=lambda: _alive(second, log))
        assert stop(first) == 0, log.read_text()[-3000:]  # leaves: the other takes all
        await _wait_for_assignments(log, 4)
        await ingest(engine, settings, thirds[2])
        await wait_caught_up(engine, settings, group, limit=120, check=lambda: _alive(second, log))
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                stop(proc)
    await assert_matches_batch(engine, events)


def _alive(proc: subprocess.Popen[bytes] | None, log: Path) -> None:
    assert proc is not None and proc.poll() is None, log.read_text()[-3000:]
