"""The soak's producer on librdkafka: every event delivered, on aiokafka's partition."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner

from shared.kafka import ensure_topics, topic_partitions
from shared.settings import Settings
from shared.simulator.librdkafka_producer import LibrdkafkaProducer
from shared.simulator.model import SimEvent
from shared.simulator.producer import stream

PARTITIONS = 3


async def test_every_event_arrives_on_the_partition_aiokafka_would_choose(
    kafka_bootstrap: str,
) -> None:
    topic = f"test.librdkafka.{uuid.uuid4().hex[:6]}"
    await ensure_topics(
        Settings(kafka_bootstrap_servers=kafka_bootstrap), [topic], partitions=PARTITIONS
    )
    events = [
        SimEvent(topic, f"shop-{i % 7}".encode(), f'{{"n": {i}, "text": "亲"}}'.encode(), {"n": i})
        for i in range(300)
    ]
    sent = await stream(
        events, kafka_bootstrap, compression_type="lz4", producer_factory=LibrdkafkaProducer
    )
    assert sent == len(events)

    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    consumer.assign(await topic_partitions(kafka_bootstrap, [topic]))
    received: dict[bytes, int] = {}
    try:
        while len(received) < len(events):
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "the broker stopped delivering before every event arrived"
            for tp, records in batch.items():
                received.update({r.value: tp.partition for r in records if r.value})
    finally:
        await consumer.stop()
    partitioner = DefaultPartitioner()
    expected = {
        ev.value: partitioner(ev.key, list(range(PARTITIONS)), list(range(PARTITIONS)))
        for ev in events
    }
    assert received == expected
