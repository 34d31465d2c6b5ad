"""Scale-out on one machine: two ingest and two scoring processes (`python -m
services.ingest|scoring`), each kind in its consumer group, split the partitions between
them, both do work, and the totals are exact — equal to the SPEC oracle's batch
recomputation, with every invalid event dead-lettered once (issue #17, deploy/README.md)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import confluent_kafka
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared import topics
from shared.embedded import EmbeddedKafka
from shared.kafka import ensure_topics
from shared.schema import agent_daily, dead_letters, shop_daily, shops
from shared.settings import Settings
from shared.simulator import SimConfig, SimEvent, generate
from tests.e2e.test_pipeline import _start, _stored_rows, _wait_until_scored
from tests.fixtures.clock import NOW
from tests.fixtures.infra import create_database
from tests.ingest.harness import committed_offsets
from tests.oracle.compare import oracle_rows

pytestmark = pytest.mark.slow

PARTITIONS = 4
SHOPS = tuple(f"scale-{i}" for i in range(8))
SETTINGS: dict[str, dict[str, Any]] = {shop: {} for shop in SHOPS}
SETTINGS[SHOPS[1]] = {"timezone": "UTC", "session_gap_seconds": 900}


def _events() -> list[SimEvent]:
    config = SimConfig(
        seed=1717,
        shop_ids=SHOPS,
        agents_per_shop=4,
        buyers_per_shop=300,
        start=NOW - timedelta(days=3),
        now=NOW,
        arrivals_per_hour=6,
        late_fraction=0.05,
        duplicate_fraction=0.03,
        invalid_fraction=0.02,
        id_prefix="scale-",
    )
    return list(generate(config, count=12_000))


def _produce(bootstrap: str, events: list[SimEvent]) -> None:
    """librdkafka, lz4 batches, keys hashed as Kafka's Java clients (and ingest) do."""
    producer = confluent_kafka.Producer(
        {
            "bootstrap.servers": bootstrap,
            "compression.type": "lz4",
            "linger.ms": 10,
            "partitioner": "murmur2_random",
            "enable.idempotence": False,
        }
    )
    for e in events:
        while True:
            try:
                producer.produce(e.topic, e.value, key=e.key)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(30) == 0, "librdkafka did not deliver everything"


def _assignments(log: Path) -> list[list[Any]]:
    """Every partitions_assigned line of a process's JSON log, in order."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if '"partitions_assigned"' not in line:
            continue
        record = json.loads(line)
        if record.get("event") == "partitions_assigned":
            found.append(record["partitions"])
    return found


def _split(logs: list[Path], every: set[Any]) -> list[set[Any]] | None:
    """Each process's current partitions when together they hold each one exactly once
    and each holds some; None while the group is still settling."""
    latest = [_assignments(log) for log in logs]
    if not all(latest):
        return None
    held = [set(a[-1]) for a in latest]
    if not all(held) or sum(len(h) for h in held) != len(every) or set().union(*held) != every:
        return None
    return held


async def _until_split(logs: list[Path], every: set[Any], limit_s: float = 120) -> list[set[Any]]:
    deadline = time.monotonic() + limit_s
    while (held := _split(logs, every)) is None:
        tails = "\n".join(log.read_text(errors="replace")[-1500:] for log in logs)
        assert time.monotonic() < deadline, tails
        await asyncio.sleep(0.2)
    return held


@pytest.fixture
async def stack(postgres_url: str, migrated_template: str) -> AsyncIterator[Settings]:
    broker = EmbeddedKafka()
    bootstrap = broker.start()
    await ensure_topics(
        Settings(kafka_bootstrap_servers=bootstrap), topics.ALL, partitions=PARTITIONS
    )
    yield Settings(
        database_url=create_database(postgres_url),
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_partitions=PARTITIONS,
    )
    broker.stop()


async def test_two_ingest_and_two_scoring_processes_split_the_work_exactly(
    stack: Settings, tmp_path: Path
) -> None:
    # Every partition carries some shop, so whichever partitions a process holds, it works.
    assert {topics.partition_of(s.encode(), PARTITIONS) for s in SHOPS} == set(range(PARTITIONS))
    engine = create_async_engine(stack.require_database_url())
    try:
        await _run(stack, engine, tmp_path)
    finally:
        await engine.dispose()


async def _run(stack: Settings, engine: AsyncEngine, tmp_path: Path) -> None:
    async with engine.begin() as conn:
        for shop, overrides in SETTINGS.items():
            await conn.execute(shops.insert().values(shop_id=shop, name=shop, settings=overrides))
    events = _events()
    valid = [e.event for e in events if e.invalid_reason is None]
    expected_agents, expected_shops = oracle_rows(valid, SETTINGS, {})
    assert len({s for s, _, _ in expected_agents}) == len(SHOPS)

    ingest_logs = [tmp_path / f"ingest{i}.log" for i in range(2)]
    scoring_logs = [tmp_path / f"scoring{i}.log" for i in range(2)]
    env = {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}
    processes = [_start("services.ingest", stack, log, NOW, **env) for log in ingest_logs]
    processes += [_start("services.scoring", stack, log, NOW, **env) for log in scoring_logs]
    try:
        inputs = {f"{t}:{p}" for t in topics.INPUT for p in range(PARTITIONS)}
        ingest_held = await _until_split(ingest_logs, inputs)
        scoring_held = await _until_split(scoring_logs, set(range(PARTITIONS)))
        await asyncio.to_thread(_produce, stack.require_kafka(), events)
        await _wait_until_scored(
            engine, stack.require_kafka(), f"e2e-ingest-{NOW:%H%M}", limit_s=240
        )
        # Nobody left or joined meanwhile: the split measured is the one that did the work.
        assert _split(ingest_logs, inputs) == ingest_held
        assert _split(scoring_logs, set(range(PARTITIONS))) == scoring_held
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=60) for p in processes]
    assert codes == [0, 0, 0, 0], [log.read_text()[-1500:] for log in ingest_logs + scoring_logs]

    # Both processes of each kind did work: every partition was read and committed.
    committed = await committed_offsets(stack.require_kafka(), f"e2e-ingest-{NOW:%H%M}")
    assert len(committed) == len(inputs) and all(o > 0 for o in committed.values()), committed
    async with engine.connect() as conn:
        scored = dict(
            (
                await conn.execute(
                    text("SELECT partition, next_offset FROM consumer_offsets WHERE topic = :t"),
                    {"t": topics.EVENTS},
                )
            ).all()
        )
    assert set(scored) == set(range(PARTITIONS)) and all(o > 0 for o in scored.values())

    await _assert_exact(engine, events, expected_agents, expected_shops)


async def _assert_exact(
    engine: AsyncEngine, events: list[SimEvent], expected_agents: Any, expected_shops: Any
) -> None:
    agent_names = tuple(next(iter(expected_agents.values())))
    shop_names = tuple(next(iter(expected_shops.values())))
    async with engine.connect() as conn:
        stored_agents = _stored_rows(
            list((await conn.execute(select(agent_daily))).all()),
            ("shop_id", "agent_id", "day"),
            agent_names,
        )
        stored_shops = _stored_rows(
            list((await conn.execute(select(shop_daily))).all()), ("shop_id", "day"), shop_names
        )
        letters = Counter(
            dict(
                (
                    await conn.execute(
                        select(dead_letters.c.reason, func.count()).group_by(dead_letters.c.reason)
                    )
                ).all()
            )
        )
    assert stored_agents == expected_agents
    assert stored_shops == expected_shops
    invalid = Counter(e.invalid_reason for e in events if e.invalid_reason)
    assert sum(letters.values()) - letters["conflicting_duplicate"] == sum(invalid.values())
