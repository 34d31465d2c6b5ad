"""The ceilings everything else is measured against: how fast the simulator's events go
into the broker, and how fast a bare aiokafka consumer reads and decodes them."""

from __future__ import annotations

import asyncio
import time
import uuid

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.simulator import SimEvent


async def produce_rate(bootstrap: str, events: list[SimEvent], *, topic_suffix: str = "") -> float:
    """Events/s from first send to the last acknowledgement (acks=all, lz4 batches)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=5,
        max_batch_size=512 * 1024,
        compression_type="lz4",
    )
    await producer.start()
    try:
        started = time.perf_counter()
        pending = []
        for event in events:
            pending.append(
                await producer.send(event.topic + topic_suffix, event.value, key=event.key)
            )
        await asyncio.gather(*pending)
        return len(events) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def consume_rate(bootstrap: str, topic_names: list[str], expected: int) -> float:
    """Events/s for a fresh group reading every message and decoding its JSON."""
    consumer = AIOKafkaConsumer(
        *topic_names,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        seen = 0
        started: float | None = None
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=10_000, max_records=10_000)
            if not batch:
                break
            started = started or time.perf_counter()
            for records in batch.values():
                for record in records:
                    orjson.loads(record.value)  # decode and discard
                seen += len(records)
        assert started is not None, "nothing was consumed"
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()
