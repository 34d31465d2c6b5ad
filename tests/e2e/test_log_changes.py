"""A partition's log replaced under stored offsets: nothing is skipped, nothing is lost.

Ingest and scoring run in-process on the real broker and Postgres. The broker restarts
empty with the database kept, or the topics are deleted and recreated while both run;
then a larger stream for shops on the same partition arrives before (or while) the
consumers join, so every stored offset lies inside the new, longer logs. Afterwards every
number equals the batch recomputation of all the events, ingest stored every event, and
scoring read each new log from its first record.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest.config import IngestSettings
from shared import topics
from shared.embedded import EmbeddedKafka, free_port
from shared.kafka import ensure_topics
from shared.kafka_logs import LogIds
from shared.settings import Settings
from tests.ingest.harness import RunningIngest, ingest_settings
from tests.ingest.harness import end_offsets as input_ends
from tests.ingest.harness import produce as produce_input
from tests.scoring.stream import (
    end_offsets,
    expected_facts,
    expected_rollups,
    generate,
    read_facts,
    read_rollups,
    register_shop,
    running_worker,
    wait_covered,
)

pytestmark = pytest.mark.slow
PARTITIONS = 4


def _shops_on_one_partition(prefix: str, n: int) -> list[str]:
    """Shop ids whose events share one partition of cs.events.v1 (and of the inputs)."""
    names = (f"{prefix}-{i}" for i in range(10_000))
    first = next(names)
    want = topics.partition_of(first.encode(), PARTITIONS)
    same = [s for s in names if topics.partition_of(s.encode(), PARTITIONS) == want]
    return [first, *same[: n - 1]]


def _input(events: Iterable[dict[str, Any]]) -> list[tuple[str, bytes, bytes]]:
    return [
        (
            topics.CHAT if e["type"] == "chat.message" else topics.ORDER,
            e["shop_id"].encode(),
            orjson.dumps(e),
        )
        for e in events
    ]


@contextlib.asynccontextmanager
async def _broker(port: int) -> AsyncIterator[str]:
    broker = EmbeddedKafka(port=port)
    bootstrap = broker.start()
    try:
        await ensure_topics(
            Settings(kafka_bootstrap_servers=bootstrap), topics.ALL, partitions=PARTITIONS
        )
        yield bootstrap
    finally:
        broker.stop()


async def _stored_ids(engine: AsyncEngine, shops: list[str]) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_id FROM chat_messages WHERE shop_id = ANY(:s)"
                " UNION ALL SELECT event_id FROM order_events WHERE shop_id = ANY(:s)"
            ),
            {"s": shops},
        )
        return {row[0] for row in rows}


async def _scored_to_the_end(engine: AsyncEngine, settings: Settings, group: str) -> bool:
    """Scoring's stored offsets reach the end of every non-empty partition of the
    current cs.events.v1, and say they were read from it."""
    async with LogIds(settings.require_kafka()) as ids:
        current = (await ids.of([topics.EVENTS]))[topics.EVENTS]
    ends = {p: o for p, o in (await end_offsets(settings)).items() if o}
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT partition, next_offset, log_id FROM consumer_offsets"
                " WHERE group_id = :g AND topic = :t"
            ),
            {"g": group, "t": topics.EVENTS},
        )
        stored = {p: (o, log_id) for p, o, log_id in rows}
    return all(p in stored and stored[p] == (end, current) for p, end in ends.items())


async def _settled(
    engine: AsyncEngine,
    settings: Settings,
    group: str,
    events: list[dict[str, Any]],
    limit_s: float = 120.0,
) -> None:
    """Every event stored, scoring at the end of the current log, every stored event
    covered by a derivation (conditions, not time)."""
    shops = sorted({e["shop_id"] for e in events})
    wanted = {e["event_id"] for e in events}
    deadline = asyncio.get_running_loop().time() + limit_s
    while not (
        await _stored_ids(engine, shops) == wanted
        and await _scored_to_the_end(engine, settings, group)
    ):
        assert asyncio.get_running_loop().time() < deadline, (
            f"not settled: {len(wanted - await _stored_ids(engine, shops))} events not stored"
        )
        await asyncio.sleep(0.2)
    await wait_covered(engine, shops, limit=limit_s)


async def _assert_equal_to_batch(engine: AsyncEngine, events: list[dict[str, Any]]) -> None:
    for shop in sorted({e["shop_id"] for e in events}):
        assert await read_rollups(engine, shop) == expected_rollups(events, shop), shop
        assert await read_facts(engine, shop) == expected_facts(events, shop), shop


def _scored_records() -> float:
    return REGISTRY.get_sample_value("scoring_events_total") or 0.0


async def _log_sizes(settings: Settings) -> tuple[int, int]:
    """Records now in the input topics and in cs.events.v1."""
    inputs = await input_ends(settings.require_kafka(), topics.INPUT)
    return sum(inputs.values()), sum((await end_offsets(settings)).values())


def _configs(settings: Settings, bootstrap: str) -> tuple[Settings, IngestSettings, str]:
    base = settings.model_copy(update={"kafka_bootstrap_servers": bootstrap})
    return base, ingest_settings(base), f"scoring-{uuid.uuid4().hex[:6]}"


async def test_broker_restarted_empty_with_the_database_kept(
    engine: AsyncEngine, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    shop_a, shop_c = _shops_on_one_partition("relog-a", 2)
    for shop in (shop_a, shop_c):
        await register_shop(engine, shop)
    first = generate(1, shop_a, 3000, buyers=120, prefix="s1-")
    # Stored and forwarded while scoring was down: lost with the broker's log.
    unscored = generate(2, shop_a, 1500, buyers=120, prefix="s1b-")
    second = generate(3, shop_a, 6000, buyers=160, prefix="s2-") + generate(
        4, shop_c, 4000, buyers=100, prefix="s2c-"
    )
    port = free_port()

    async with _broker(port) as bootstrap:
        base, ingest, group = _configs(settings, bootstrap)
        await produce_input(bootstrap, _input(first))
        running = await RunningIngest(ingest).start()
        async with running_worker(engine, base, group):
            await _settled(engine, base, group, first)
        await produce_input(bootstrap, _input(unscored))
        await running.caught_up()
        await running.stop()

    async with _broker(port) as bootstrap:  # the same address, empty
        # Before any consumer joins: every stored offset now lies inside the new logs.
        await produce_input(bootstrap, _input(second))
        running = await RunningIngest(ingest).start()
        scored_before = _scored_records()
        try:
            # Scoring joins last: the new cs.events.v1 is longer than its stored offsets.
            await running.caught_up()
            async with running_worker(engine, base, group):
                await _settled(engine, base, group, first + unscored + second)
        finally:
            await running.stop()
        # Each new log was read from its first record by both services.
        inputs, forwarded = await _log_sizes(base)
        assert running.worker.processed >= inputs == len(second)
        assert _scored_records() - scored_before >= forwarded > 0

    await _assert_equal_to_batch(engine, first + unscored + second)
    output = capsys.readouterr()
    assert "partition_log_changed" in output.out + output.err


async def test_topics_deleted_and_recreated_while_the_services_run(
    engine: AsyncEngine, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    shop_a, shop_c = _shops_on_one_partition("recreate-a", 2)
    for shop in (shop_a, shop_c):
        await register_shop(engine, shop)
    first = generate(5, shop_a, 3000, buyers=120, prefix="r1-")
    second = generate(6, shop_a, 5000, buyers=160, prefix="r2-") + generate(
        7, shop_c, 4000, buyers=100, prefix="r2c-"
    )
    async with _broker(free_port()) as bootstrap:
        base, ingest, group = _configs(settings, bootstrap)
        await produce_input(bootstrap, _input(first))
        running = await RunningIngest(ingest).start()
        try:
            async with running_worker(engine, base, group):
                await _settled(engine, base, group, first)
                ingested_before, scored_before = running.worker.processed, _scored_records()
                await _recreate(bootstrap, [*topics.INPUT, topics.EVENTS])
                await produce_input(bootstrap, _input(second))
                await _settled(engine, base, group, first + second)
                # Each new log was read from its first record by both services.
                inputs, forwarded = await _log_sizes(base)
                assert running.worker.processed - ingested_before >= inputs == len(second)
                assert _scored_records() - scored_before >= forwarded > 0
        finally:
            await running.stop()

    await _assert_equal_to_batch(engine, first + second)
    output = capsys.readouterr()
    assert "partition_log_changed" in output.out + output.err


async def _recreate(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names)
        for name in names:
            # A running client's metadata request may re-create it first (Tansu does, with
            # its default of 4 partitions).
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        await admin.close()
