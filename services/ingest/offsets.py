"""Log-end offsets that hold on every broker, and the restart-from-an-empty-broker check.

Kafka's ListOffsets(latest) is the offset after the last record. The embedded Tansu broker
answers the base offset of the last record batch + 1 instead, which is smaller whenever
that batch holds several records. So a reported end is only a lower bound: the true end
is found by reading the last batch (one short fetch from `reported - 1`).

A broker restarted empty (Tansu keeps topics in memory) has no records where our committed
offsets point, and answers fetches there with nothing rather than OffsetOutOfRange, so a
consumer would wait forever: such partitions restart from the beginning with a warning.
"""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.logging import get_logger

log = get_logger(__name__)


async def log_end_offsets(
    bootstrap: str, partitions: list[TopicPartition], *, wait_s: float = 5.0
) -> dict[TopicPartition, int]:
    """The offset after the last record of each partition (0 for an empty one)."""
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await probe.start()
    try:
        return await _true_ends(probe, partitions, wait_s)
    finally:
        await probe.stop()


async def _true_ends(
    probe: AIOKafkaConsumer, partitions: list[TopicPartition], wait_s: float
) -> dict[TopicPartition, int]:
    reported = {tp: int(end) for tp, end in (await probe.end_offsets(partitions)).items()}
    ends = dict(reported)
    pending = {tp for tp, end in reported.items() if end > 0}
    if not pending:
        return ends
    probe.assign(list(pending))
    for tp in pending:
        probe.seek(tp, reported[tp] - 1)
    deadline = time.monotonic() + wait_s
    while pending and time.monotonic() < deadline:
        fetched = await probe.getmany(*pending, timeout_ms=200)
        for tp, records in fetched.items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                pending.discard(tp)
    if pending:
        log.warning("log_end_unverified", partitions=[str(tp) for tp in pending])
    return ends


async def restart_past_log_end(
    consumer: AIOKafkaConsumer, bootstrap: str, partitions: list[TopicPartition]
) -> list[TopicPartition]:
    """Seek partitions whose committed offset lies past the log end to the beginning."""
    committed: dict[TopicPartition, int] = {}
    for tp in partitions:
        offset = await consumer.committed(tp)
        if offset is not None and offset > 0:
            committed[tp] = offset
    if not committed:
        return []
    reported = await consumer.end_offsets(list(committed))
    suspect = [tp for tp, offset in committed.items() if offset > reported.get(tp, 0)]
    if not suspect:
        return []
    ends = await log_end_offsets(bootstrap, suspect)
    reset = [tp for tp in suspect if committed[tp] > ends[tp]]
    for tp in reset:
        log.warning(
            "stored_offset_past_log_end",
            topic=tp.topic,
            partition=tp.partition,
            stored=committed[tp],
            log_end=ends[tp],
            action="restarting the partition from its first record (broker restarted empty?)",
        )
    if reset:
        await consumer.seek_to_beginning(*reset)
    return reset
