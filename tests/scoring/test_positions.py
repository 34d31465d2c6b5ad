"""Where scoring resumes a partition: a stored offset only in the log it was read from."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from services.scoring.offsets import Stored
from services.scoring.positions import Positions
from shared.kafka_logs import LogIds


async def _fill(bootstrap: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        acks = [await producer.send(topic, b"x%d" % i, partition=0) for i in range(n)]
        for ack in acks:
            await ack
    finally:
        await producer.stop()


@pytest.fixture
async def topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    """A topic of one partition holding 100 records."""
    name = f"test.positions.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        await admin.close()
    await _fill(kafka_bootstrap, name, 100)
    yield name


async def _resumed_at(bootstrap: str, topic: str, stored: Stored | None) -> tuple[int, str | None]:
    """The position a fresh consumer takes for partition 0, and the log it holds for it."""
    tp = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    positions = Positions(consumer, bootstrap)
    try:
        consumer.assign([tp])
        await positions.resume([tp], {tp: stored} if stored else {})
        return await consumer.position(tp), positions.logs[tp]
    finally:
        await positions.close()
        await consumer.stop()


async def test_an_offset_stored_in_another_log_restarts_at_the_beginning(
    kafka_bootstrap: str, topic: str
) -> None:
    async with LogIds(kafka_bootstrap) as ids:
        current = (await ids.of([topic]))[topic]
    assert current is not None
    # The log is longer than the stored offset: the old "past the end" rule cannot see it.
    assert await _resumed_at(kafka_bootstrap, topic, Stored(60, "an-older-log")) == (0, current)
    assert await _resumed_at(kafka_bootstrap, topic, Stored(60, current)) == (60, current)
    # Stored before offsets carried their log: adopted, as the code before trusted it.
    assert await _resumed_at(kafka_bootstrap, topic, Stored(60, None)) == (60, current)
    # Past the end of its own log (a broker without ids that restarted empty).
    assert await _resumed_at(kafka_bootstrap, topic, Stored(500, current)) == (0, current)
    assert await _resumed_at(kafka_bootstrap, topic, None) == (0, current)


async def test_a_log_replaced_under_a_running_consumer_is_noticed(
    kafka_bootstrap: str, topic: str
) -> None:
    """Deleted and recreated while assigned: the consumer would go on at its position in
    the new log (no rebalance is needed for that); the check seeks it to the start."""
    tp = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    positions = Positions(consumer, kafka_bootstrap, check_s=0.0)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        consumer.assign([tp])
        await positions.resume([tp], {})
        old = positions.logs[tp]
        consumer.seek(tp, 100)  # as if everything was read
        assert positions.check_due() and await positions.restart_changed() == []
        await admin.delete_topics([topic])
        # The consumer's metadata requests may have re-created it already (Tansu does).
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(topic, 1, 1)])
        await _fill(kafka_bootstrap, topic, 150)
        assert positions.check_due()
        assert await positions.restart_changed() == [tp]
        assert positions.logs[tp] not in (None, old)
        assert await consumer.position(tp) == 0
        first = await consumer.getone()
        assert (first.offset, first.value) == (0, b"x0")
    finally:
        await admin.close()
        await positions.close()
        await consumer.stop()
