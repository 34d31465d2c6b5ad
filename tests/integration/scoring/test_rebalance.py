"""Two scoring processes in one consumer group, a rebalance mid-stream (one joins, then
the other leaves): the final results equal the batch recomputation."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.settings import Settings
from tests.integration.scoring.procs import (
    assert_matches_batch,
    make_events,
    progress,
    spawn,
    stop,
)
from tests.integration.scoring.stream import end_offsets, wait_caught_up

pytestmark = pytest.mark.slow


async def test_two_workers_rebalance_mid_stream(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    group = f"rebal-{uuid.uuid4().hex[:6]}"
    events = await make_events(engine, settings, 30_000, seed=202)
    total = sum((await end_offsets(settings)).values())
    log = tmp_path / "scoring.log"
    first = spawn(settings, group, log)
    second = None
    try:
        while await progress(engine, group) < total // 3:
            assert first.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        second = spawn(settings, group, log)  # joins: partitions are split
        while await progress(engine, group) < 2 * total // 3:
            assert second.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        assert stop(first) == 0, log.read_text()[-3000:]  # leaves: the other takes all
        await wait_caught_up(engine, settings, group, limit=120)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                stop(proc)
    text = log.read_text()
    assert text.count("partitions_assigned") >= 3, text[-3000:]
    await assert_matches_batch(engine, events)
