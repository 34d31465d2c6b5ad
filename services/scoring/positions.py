"""Where an assigned partition resumes, and noticing its log change under a running worker.

A position stored in Postgres is resumed only in the log it was read from (the topic id,
shared/kafka_logs.py); a partition whose log is another (the broker restarted empty, the
topic was recreated, the cluster moved) restarts at its first record, and the catch-up
from the raw tables finds what the old log held beyond the stored offset. Apache Kafka and
the embedded broker alike keep serving a running consumer at its old position after a
topic is deleted and recreated (no rebalance needs to happen), so the worker also compares
the topic ids every LOG_CHECK_S (shared.kafka_logs.LogWatch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.scoring.offsets import Stored
from shared.kafka import seek_within_log
from shared.kafka_logs import LOG_CHECK_S, LogWatch, Resume, log_changed, resume
from shared.logging import get_logger

log = get_logger(__name__)


_ACTION = "reading the partition from its first record; catching up from the raw tables"


class Positions(LogWatch):
    """The log each assigned partition is read from (stored with its offsets)."""

    def __init__(
        self, consumer: AIOKafkaConsumer, bootstrap: str, *, check_s: float = LOG_CHECK_S
    ) -> None:
        super().__init__(bootstrap, check_s=check_s)
        self.consumer = consumer
        self.bootstrap = bootstrap

    async def resume(
        self, assigned: Iterable[TopicPartition], stored: Mapping[TopicPartition, Stored]
    ) -> list[TopicPartition]:
        """Seek every assigned partition; returns those restarted at their beginning."""
        assigned = list(assigned)
        current = await self.ids.of({tp.topic for tp in assigned})
        at: dict[TopicPartition, int] = {}
        for tp in assigned:
            row = stored.get(tp)
            log_id = current.get(tp.topic)
            how = resume(row.offset if row else None, row.log_id if row else None, log_id)
            self.logs[tp] = log_id
            if row is None:
                continue
            if how is Resume.BEGINNING:
                log_changed(tp, row.offset, row.log_id, log_id, _ACTION)
                continue
            if how is Resume.ADOPT:
                log.info(
                    "partition_log_adopted", topic=tp.topic, partition=tp.partition, log=log_id
                )
            at[tp] = row.offset
        return await seek_within_log(self.consumer, self.bootstrap, at, assigned)

    async def restart_changed(self) -> list[TopicPartition]:
        """The assigned partitions whose log changed since they were assigned, sought to
        their beginning (the worker asks when check_due says so)."""
        changed = await self.changed(self.consumer.assignment(), _ACTION)
        if changed:
            await self.consumer.seek_to_beginning(*changed)
        return changed
