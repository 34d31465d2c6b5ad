"""SIGKILL a real `python -m services.scoring` at random points and restart it: the final
rollups and facts equal the batch recomputation, nothing lost or counted twice."""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.settings import Settings
from tests.scoring.procs import (
    assert_matches_batch,
    make_events,
    progress,
    spawn,
    stop,
)
from tests.scoring.stream import end_offsets, stored_offsets, wait_caught_up

pytestmark = pytest.mark.slow
# A static assignment: a restarted group member waits out the dead one's session on Tansu
# (seconds per restart); group membership has its own test (test_rebalance.py).
PARTITIONS = "0,1,2,3"


async def test_sigkill_at_random_points_then_restart(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    group = f"crash-{uuid.uuid4().hex[:6]}"
    events = await make_events(engine, settings, 50_000, seed=101)
    total = sum((await end_offsets(settings)).values())
    rng = random.Random(3)
    log = tmp_path / "scoring.log"
    kills = 0
    while kills < 5:
        proc = spawn(settings, group, log, SCORING_PARTITIONS=PARTITIONS)
        try:
            before = await progress(engine, group)
            while await progress(engine, group) == before:  # wait until it commits
                assert proc.poll() is None, log.read_text()[-3000:]
                await asyncio.sleep(0.05)
            await asyncio.sleep(rng.uniform(0.0, 1.5))
        finally:
            proc.kill()
            proc.wait()
        kills += 1
        assert await progress(engine, group) < total, "the stream ended before the 5th kill"
    proc = spawn(settings, group, log, SCORING_PARTITIONS=PARTITIONS)
    try:
        await wait_caught_up(
            engine,
            settings,
            group,
            limit=120,
            check=lambda: proc.poll() is None or pytest.fail(log.read_text()),
        )
    finally:
        assert stop(proc) == 0, log.read_text()[-3000:]
    ends, stored = await end_offsets(settings), await stored_offsets(engine, group)
    warnings = [
        line for line in log.read_text().splitlines() if '"warning"' in line or '"error"' in line
    ]
    try:
        await assert_matches_batch(engine, events)
    except AssertionError as exc:
        raise AssertionError((ends, stored, warnings[-20:])) from exc
