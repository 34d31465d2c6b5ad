"""Produce and consume through the embedded broker, in every compression SPEC §2 names."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared import topics
from shared.kafka import ensure_topics, topic_partitions
from shared.settings import Settings


async def test_spec_topics_exist(kafka_bootstrap: str) -> None:
    created = await ensure_topics(Settings(kafka_bootstrap_servers=kafka_bootstrap))
    assert created == []  # the fixture created them already; a second call is a no-op


@pytest.mark.parametrize("compression", [None, "gzip", "snappy", "lz4", "zstd"])
async def test_round_trip(kafka_bootstrap: str, compression: str | None) -> None:
    topic = f"test.roundtrip.{compression}.{uuid.uuid4().hex[:6]}"
    await ensure_topics(Settings(kafka_bootstrap_servers=kafka_bootstrap), [topic], partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, compression_type=compression)
    await producer.start()
    try:
        sent = [f'{{"n": {i}, "text": "您好亲😊"}}'.encode() for i in range(200)]
        for i, value in enumerate(sent):
            await producer.send(topic, key=f"shop-{i % 3}".encode(), value=value)
        await producer.flush()
    finally:
        await producer.stop()
    # Assigned, not subscribed: joining a group costs seconds on Tansu and is not the point.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    consumer.assign(await topic_partitions(kafka_bootstrap, [topic]))
    received: list[bytes] = []
    try:
        while len(received) < len(sent):
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "the broker stopped delivering before every message arrived"
            for records in batch.values():
                received.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    assert sorted(received) == sorted(sent)


async def test_topics_created_with_configured_partitions(kafka_bootstrap: str) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
    await consumer.start()
    try:
        assert set(topics.ALL) <= await consumer.topics()  # fetches the cluster metadata
        for name in topics.ALL:
            assert len(consumer.partitions_for_topic(name) or ()) == 4  # fixture's count
    finally:
        await consumer.stop()
