"""SIGKILL the ingest process at random points of a 20 000-event stream, restart it, and
find every valid event stored exactly once and forwarded at least once (none lost)."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import topics
from shared.simulator import SimConfig, SimEvent, generate
from tests.fixtures.clock import NOW
from tests.ingest.harness import (
    committed_offsets,
    end_offsets,
    fetch,
    produce,
    read_topic,
    register_shop,
    spawn_ingest,
    text_in,
    wait_for,
    wait_for_log,
)

pytestmark = pytest.mark.slow

EVENTS = 20_000
KILLS = 6


def stream(seed: int) -> list[SimEvent]:
    config = SimConfig(
        seed=seed,
        shops=3,
        start=NOW - timedelta(days=3),
        now=NOW,
        duplicate_fraction=0.02,
        invalid_fraction=0.005,
        id_prefix=f"k{uuid.uuid4().hex[:6]}",
    )
    events = list(generate(config, count=EVENTS))
    assert len(events) == EVENTS
    return events


async def stored_count(engine: AsyncEngine) -> int:
    rows = await fetch(
        engine,
        "SELECT (SELECT count(*) FROM chat_messages) + (SELECT count(*) FROM order_events)"
        " + (SELECT count(*) FROM review_events) AS n",
    )
    return int(rows[0].n)


async def test_sigkill_at_random_points_loses_nothing(
    database_url: str, engine: AsyncEngine, kafka_bootstrap: str, tmp_path: Path
) -> None:
    rng = random.Random()
    seed = rng.randrange(1_000_000)
    events = stream(seed)
    for shop in {e.key.decode() for e in events if e.invalid_reason != "unknown_shop"}:
        await register_shop(engine, shop)
    valid = {e.event["event_id"]: e for e in events if e.invalid_reason is None}
    group = f"ingest-crash-{seed}"

    async def feed(segment: list[SimEvent]) -> None:
        await produce(
            kafka_bootstrap,
            [(e.topic, e.key, e.value) for e in segment],
            max_request_size=4 * 1024 * 1024,
        )

    def start() -> subprocess.Popen[bytes]:
        started.append(text_in(log).count("ingest_started"))
        return spawn_ingest(database_url, kafka_bootstrap, group, log, INGEST_MAX_BATCH="700")

    started: list[int] = []
    log = tmp_path / "ingest.log"
    # The stream arrives in KILLS + 1 segments of random sizes, one per process lifetime, so
    # that every kill lands while there is still work in flight.
    cuts = sorted(rng.sample(range(1_500, EVENTS - 1_500, 500), KILLS))
    segments = [events[a:b] for a, b in zip([0, *cuts], [*cuts, EVENTS], strict=True)]

    process = start()
    kills: list[str] = []
    try:
        for i in range(KILLS):
            # Counted before the segment is fed: a fast restarted process may store all of
            # it before its start is even logged, and the targets below must stay reachable.
            before = await stored_count(engine)
            await feed(segments[i])
            await wait_for_log(log, "ingest_started", count=started[-1] + 1)
            if i % 2 == 0:  # right after some batch of this segment reached Postgres
                target = before + rng.randrange(1, len(segments[i]) * 3 // 4)

                async def reached(target: int = target) -> bool:
                    return await stored_count(engine) >= target

                await wait_for(reached, 120, f"{target} stored events")
            else:  # at a random moment of whatever it is doing

                async def moving(before: int = before) -> bool:
                    return await stored_count(engine) > before

                await wait_for(moving, 120, "ingest to make progress")
                await asyncio.sleep(rng.uniform(0.0, 0.3))
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait, 10)
            kills.append(f"kill {i} at {await stored_count(engine)} stored")
            process = start()
        await feed(segments[-1])

        ends = {tp: n for tp, n in (await end_offsets(kafka_bootstrap, topics.INPUT)).items() if n}

        async def caught_up() -> bool:
            committed = await committed_offsets(kafka_bootstrap, group)
            return all(committed.get(tp, 0) >= n for tp, n in ends.items())

        await wait_for(caught_up, 240, "ingest to catch up after the last restart")
        # SIGTERM a process that is up (one killed while importing had nothing to drain).
        await wait_for_log(log, "ingest_started", count=started[-1] + 1)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(kills) == KILLS

    rows = await fetch(
        engine,
        "SELECT event_id, body FROM chat_messages UNION ALL "
        "SELECT event_id, body FROM order_events UNION ALL "
        "SELECT event_id, body FROM review_events",
    )
    stored = Counter(r.event_id for r in rows)
    assert set(stored) == set(valid), f"seed {seed}: lost or extra events"
    assert max(stored.values()) == 1
    bodies = {r.event_id: r.body for r in rows}
    assert all(bodies[i] == orjson.loads(e.value) for i, e in valid.items())

    forwarded = {
        orjson.loads(r.value)["event_id"] for r in await read_topic(kafka_bootstrap, topics.EVENTS)
    }
    assert forwarded == set(valid), f"seed {seed}: events not forwarded"

    invalid = [e for e in events if e.invalid_reason is not None]
    letters = await fetch(engine, "SELECT reason FROM dead_letters")
    assert len(letters) == len(invalid)
