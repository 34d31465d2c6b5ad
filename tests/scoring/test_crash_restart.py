"""SIGKILL a real `python -m services.scoring` mid-stream, restart it, and find the final
rollups and facts equal to the batch recomputation: nothing lost, nothing counted twice.

Kill points do not depend on speed: the stream is fed in segments, one per process
lifetime, and each kill waits for a point inside its own segment (a stored offset, not a
time), so every kill falls before the stream's end however fast scoring is. The test runs
slowed down (SCORING_BATCH_DELAY_MS: each batch waits inside its open transaction, where a
kill loses it) and at full speed with large batches.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.settings import Settings
from tests.scoring.procs import assert_matches_batch, make_events, progress, spawn, stop
from tests.scoring.stream import ingest, wait_caught_up

pytestmark = pytest.mark.slow
# A static assignment: a restarted group member waits out the dead one's session on Tansu
# (seconds per restart); group membership has its own test (test_rebalance.py).
PARTITIONS = "0,1,2,3"
KILLS = 5


def segments(events: list[dict[str, Any]], rng: random.Random) -> list[list[dict[str, Any]]]:
    """KILLS + 1 segments of random sizes, none smaller than a twentieth of the stream."""
    floor = len(events) // 20
    cuts = sorted(rng.sample(range(floor, len(events) - floor, floor // 4), KILLS))
    return [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]


@pytest.mark.parametrize(
    ("count", "seed", "tuning"),
    [
        pytest.param(
            10_000,
            101,
            {"SCORING_BATCH_DELAY_MS": "150", "SCORING_MAX_RECORDS": "300"},
            id="slowed",
        ),
        pytest.param(30_000, 103, {"SCORING_MAX_RECORDS": "5000"}, id="full-speed"),
    ],
)
async def test_sigkill_mid_stream_then_restart(
    engine: AsyncEngine,
    settings: Settings,
    tmp_path: Path,
    count: int,
    seed: int,
    tuning: dict[str, str],
) -> None:
    group = f"crash-{uuid.uuid4().hex[:6]}"
    events = await make_events(engine, settings, count, seed=seed, ingest_now=False)
    rng = random.Random(seed)
    parts = segments(events, rng)
    delay_s = int(tuning.get("SCORING_BATCH_DELAY_MS", "0")) / 1000
    log = tmp_path / "scoring.log"
    killed_at: list[int] = []
    for part in parts[:KILLS]:
        before = await progress(engine, group)
        await ingest(engine, settings, part)  # the rest of the stream is not there yet
        # Somewhere inside this segment: reachable, and reached only mid-stream.
        target = before + rng.randint(1, len(part))
        proc = spawn(settings, group, log, SCORING_PARTITIONS=PARTITIONS, **tuning)
        try:
            while await progress(engine, group) < target:
                _alive(proc, log)
                await asyncio.sleep(0.02)
            # Slowed, this usually lands inside the next batch's open transaction.
            await asyncio.sleep(rng.uniform(0.0, delay_s))
        finally:
            proc.kill()
            proc.wait()
        killed_at.append(await progress(engine, group))
    assert len(killed_at) == KILLS

    await ingest(engine, settings, parts[-1])
    proc = spawn(settings, group, log, SCORING_PARTITIONS=PARTITIONS, **tuning)
    try:
        await wait_caught_up(engine, settings, group, limit=240, check=lambda: _alive(proc, log))
    finally:
        assert stop(proc) == 0, log.read_text()[-3000:]
    try:
        await assert_matches_batch(engine, events)
    except AssertionError as exc:
        raise AssertionError(("killed at offsets", killed_at)) from exc


def _alive(proc: subprocess.Popen[bytes], log: Path) -> None:
    assert proc.poll() is None, log.read_text()[-3000:]
