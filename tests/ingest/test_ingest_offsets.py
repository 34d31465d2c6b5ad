"""Committed offsets: kept across restarts, and survivable when the broker lost the log."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import topics
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
