"""Committed offsets: kept across restarts, and never resumed in a log they were not read
from (a broker that lost the log, a topic recreated)."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import topics
from shared.kafka_logs import LogIds
from shared.settings import Settings
from tests.ingest.builders import chat, encode
from tests.ingest.harness import (
    RunningIngest,
    fetch,
    ingest_settings,
    produce,
    read_topic,
    register_shop,
)


async def commit_offsets(bootstrap: str, group: str, offset: int) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics.INPUT for p in range(4)]
        consumer.assign(tps)
        await consumer.commit({tp: offset for tp in tps})
    finally:
        await consumer.stop()


async def test_offsets_past_the_log_end_restart_from_the_beginning(
    settings: Settings,
    engine: AsyncEngine,
    kafka_bootstrap: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As after a broker that restarted empty: the stored offsets point past its end."""
    await register_shop(engine, "shop-reset")
    config = ingest_settings(settings)
    await commit_offsets(kafka_bootstrap, config.ingest_group_id, 500)
    events = [chat("shop-reset", event_id=f"r-{i}") for i in range(40)]
    await produce(kafka_bootstrap, [(topics.CHAT, b"shop-reset", encode(e)) for e in events])

    running = await RunningIngest(config).start()
    try:
        await running.caught_up()
    finally:
        await running.stop()
    rows = await fetch(engine, "SELECT event_id FROM chat_messages WHERE shop_id = 'shop-reset'")
    assert sorted(r.event_id for r in rows) == sorted(e["event_id"] for e in events)
    captured = capsys.readouterr()
    assert "stored_offset_past_log_end" in captured.out + captured.err


async def test_a_restart_resumes_at_the_committed_offsets(
    settings: Settings, engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    """Multi-record batches end past the broker's reported end: no false reset, no re-read."""
    await register_shop(engine, "shop-resume")
    config = ingest_settings(settings)
    first = [chat("shop-resume", event_id=f"a-{i}") for i in range(30)]
    await produce(kafka_bootstrap, [(topics.CHAT, b"shop-resume", encode(e)) for e in first])
    running = await RunningIngest(config).start()
    await running.caught_up()
    await running.stop()

    second = [chat("shop-resume", event_id=f"b-{i}") for i in range(30)]
    await produce(kafka_bootstrap, [(topics.CHAT, b"shop-resume", encode(e)) for e in second])
    running = await RunningIngest(config).start()
    await running.caught_up()
    await running.stop()
    assert running.worker.processed == 30  # only the new records were read

    forwarded = [
        r for r in await read_topic(kafka_bootstrap, topics.EVENTS) if r.key == b"shop-resume"
    ]
    assert len(forwarded) == 60


async def test_offsets_committed_in_another_log_restart_from_the_beginning(
    settings: Settings,
    engine: AsyncEngine,
    kafka_bootstrap: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As after a topic recreated (or a broker restarted) on a broker that kept the
    group's commits: the committed offset lies inside the new, longer log."""
    await register_shop(engine, "shop-relog")
    config = ingest_settings(settings)
    group = config.ingest_group_id
    events = [chat("shop-relog", event_id=f"g-{i}") for i in range(40)]
    await produce(kafka_bootstrap, [(topics.CHAT, b"shop-relog", encode(e)) for e in events])
    await commit_offsets(kafka_bootstrap, group, 20)
    async with engine.begin() as conn:
        for name in topics.INPUT:
            for partition in range(4):
                await conn.execute(
                    text(
                        "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset,"
                        " log_id) VALUES (:g, :t, :p, 20, 'an-older-log')"
                    ),
                    {"g": group, "t": name, "p": partition},
                )

    running = await RunningIngest(config).start()
    try:
        await running.caught_up()
    finally:
        await running.stop()
    rows = await fetch(engine, "SELECT event_id FROM chat_messages WHERE shop_id = 'shop-relog'")
    assert sorted(r.event_id for r in rows) == sorted(e["event_id"] for e in events)
    current = await LogIds(kafka_bootstrap).of(topics.INPUT)
    recorded = await fetch(
        engine, "SELECT topic, log_id FROM consumer_offsets WHERE group_id = :g", g=group
    )
    assert {(r.topic, r.log_id) for r in recorded} == {(t, current[t]) for t in topics.INPUT}
    captured = capsys.readouterr()
    assert "partition_log_changed" in captured.out + captured.err
