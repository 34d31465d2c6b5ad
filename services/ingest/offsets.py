"""The restart-from-an-empty-broker check for offsets committed in Kafka.

A reported log end is only a lower bound on Tansu (see shared.kafka.log_end_offsets), so
partitions that look past their end are checked against the true end first.

A broker restarted empty (Tansu keeps topics in memory) has no records where our committed
offsets point, and answers fetches there with nothing rather than OffsetOutOfRange, so a
consumer would wait forever: such partitions restart from the beginning with a warning.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.kafka import log_end_offsets
from shared.logging import get_logger

log = get_logger(__name__)


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
