"""Where an assigned partition resumes, and noticing its log change under a running worker.

A position stored in Postgres is resumed only in the log it was read from (the topic id,
shared/kafka_logs.py); a partition whose log is another (the broker restarted empty, the
topic was recreated, the cluster moved) restarts at its first record, and the catch-up
from the raw tables finds what the old log held beyond the stored offset. Apache Kafka and
the embedded broker alike keep serving a running consumer at its old position after a
topic is deleted and recreated (no rebalance needs to happen), so the worker also compares
the topic ids every LOG_CHECK_S.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.scoring.offsets import Stored
from shared.kafka import seek_within_log
from shared.kafka_logs import LogIds, Resume, resume
from shared.logging import get_logger

log = get_logger(__name__)

LOG_CHECK_S = 5.0


class Positions:
    """The log each assigned partition is read from (stored with its offsets)."""

    def __init__(
        self, consumer: AIOKafkaConsumer, bootstrap: str, *, check_s: float = LOG_CHECK_S
    ) -> None:
        self.consumer = consumer
        self.bootstrap = bootstrap
        self.ids = LogIds(bootstrap)
        self.logs: dict[TopicPartition, str | None] = {}
        self.check_s = check_s
        self._next_check = time.monotonic() + check_s

    async def close(self) -> None:
        await self.ids.close()

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
                _log_changed(tp, row.offset, row.log_id, log_id)
                continue
            if how is Resume.ADOPT:
                log.info(
                    "partition_log_adopted", topic=tp.topic, partition=tp.partition, log=log_id
                )
            at[tp] = row.offset
        return await seek_within_log(self.consumer, self.bootstrap, at, assigned)

    def check_due(self) -> bool:
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + self.check_s
        return True

    async def changed(self) -> list[TopicPartition]:
        """The assigned partitions whose topic id changed since they were assigned, sought
        to their beginning (the worker asks when check_due says so)."""
        owned = self.consumer.assignment()
        if not owned:
            return []
        try:
            current = await self.ids.of({tp.topic for tp in owned}, attempts=1)
        except KafkaError as exc:
            log.warning("log_id_check_failed", error=repr(exc))
            return []
        changed = [
            tp
            for tp in owned
            if current.get(tp.topic) is not None and current[tp.topic] != self.logs.get(tp)
        ]
        for tp in changed:
            _log_changed(tp, None, self.logs.get(tp), current[tp.topic])
            self.logs[tp] = current[tp.topic]
        if changed:
            await self.consumer.seek_to_beginning(*changed)
        return changed


def _log_changed(tp: TopicPartition, offset: int | None, was: str | None, now: str | None) -> None:
    log.warning(
        "partition_log_changed",
        topic=tp.topic,
        partition=tp.partition,
        stored_offset=offset,
        stored_log=was,
        log=now,
        action="reading the partition from its first record; catching up from the raw tables",
    )
