"""Where ingest resumes an input partition: its committed offset, in the same log only.

Ingest commits its positions in Kafka. A committed offset means something only in the log
it was read from, so ingest also keeps, per group and partition, the topic id of that log
in Postgres (consumer_offsets.log_id; shared/kafka_logs.py). On assignment, and every
LOG_CHECK_S while running (a topic deleted and recreated under a running consumer keeps
being read at the old position, on Tansu and Apache Kafka alike), a partition whose log
changed restarts at its first record: stored events come back as duplicates, nothing is
skipped. The restart first commits the log's start offset, then records the new log, so a
crash in between restarts again rather than resuming an old offset in the new log; the
worker drops the commits of batches fetched before the restart (`epoch`).

Two older checks stay: offsets committed before log ids were kept are adopted (as they
were trusted before), and a committed offset past the log end (a broker without topic ids
that restarted empty) restarts the partition too. A reported log end is only a lower bound
on Tansu (see shared.kafka.log_end_offsets), so partitions that look past their end are
checked against the true end first; Tansu answers fetches past the end with nothing
rather than OffsetOutOfRange, so a consumer would otherwise wait forever.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.kafka import log_end_offsets
from shared.kafka_logs import LOG_CHECK_S, LogWatch, Resume, log_changed, resume
from shared.logging import get_logger

log = get_logger(__name__)
_ACTION = "reading the partition from its first record (stored events are duplicates)"

_LOAD = text(
    "SELECT topic, partition, log_id FROM consumer_offsets WHERE group_id = :g AND topic = ANY(:t)"
)
_RECORD = text(
    """
    INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, log_id, updated_at)
    VALUES (:g, :t, :p, :o, :l, now())
    ON CONFLICT (group_id, topic, partition) DO UPDATE SET
        next_offset = excluded.next_offset, log_id = excluded.log_id, updated_at = now()
    """
)


class InputLogs(LogWatch):
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        bootstrap: str,
        engine: AsyncEngine,
        group_id: str,
        *,
        committed: dict[TopicPartition, int] | None = None,
        check_s: float = LOG_CHECK_S,
    ) -> None:
        """`committed`: the worker's record of its commits, kept true on a restart."""
        super().__init__(bootstrap, check_s=check_s)
        self.consumer = consumer
        self.bootstrap = bootstrap
        self.engine = engine
        self.group_id = group_id
        # Bumped when a partition restarts in a new log: offsets of batches fetched under
        # an older epoch must not be committed.
        self.epochs: dict[TopicPartition, int] = {}
        self.committed = committed if committed is not None else {}

    async def assigned(self, partitions: Iterable[TopicPartition]) -> None:
        """Resume the newly assigned partitions (module docstring)."""
        tps = sorted(partitions, key=lambda tp: (tp.topic, tp.partition))
        current = await self.ids.of({tp.topic for tp in tps})
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                _LOAD, {"g": self.group_id, "t": sorted({tp.topic for tp in tps})}
            )
            recorded = {TopicPartition(t, p): log_id for t, p, log_id in rows}
        restart, adopt, resumed = [], [], []
        for tp in tps:
            committed = await self.consumer.committed(tp)
            log_id = self.logs[tp] = current.get(tp.topic)
            how = resume(committed, recorded.get(tp), log_id)
            if how is Resume.BEGINNING:
                if committed or recorded.get(tp, log_id) != log_id:
                    log_changed(tp, committed, recorded.get(tp), log_id, _ACTION)
                restart.append(tp)
            elif how is Resume.ADOPT:
                adopt.append((tp, committed))
            if how is not Resume.BEGINNING:
                resumed.append(tp)
        await self._restart(restart)
        for tp, offset in adopt:
            await self._record(tp, offset or 0)
        await restart_past_log_end(self.consumer, self.bootstrap, resumed)

    async def check(self) -> None:
        """Restart the assigned partitions whose topic id changed since assignment."""
        await self._restart(await self.changed(self.consumer.assignment(), _ACTION))

    async def _restart(self, tps: list[TopicPartition]) -> None:
        """Read from the first record: drop older batches' commits, commit the start,
        then record the log it belongs to."""
        if not tps:
            return
        for tp in tps:
            self.epochs[tp] = self.epochs.get(tp, 0) + 1
        await self.consumer.seek_to_beginning(*tps)
        starts = await self.consumer.beginning_offsets(tps)
        try:
            await self.consumer.commit({tp: starts[tp] for tp in tps})
        except (CommitFailedError, IllegalStateError) as exc:
            # Not recorded either: the next owner finds the old log and restarts too.
            log.warning("ingest_restart_commit_failed", error=repr(exc))
            return
        self.committed.update({tp: starts[tp] for tp in tps})
        for tp in tps:
            await self._record(tp, starts[tp])

    async def _record(self, tp: TopicPartition, offset: int) -> None:
        if self.logs.get(tp) is None:
            return  # nothing to tell logs apart by
        async with self.engine.begin() as conn:
            await conn.execute(
                _RECORD,
                {
                    "g": self.group_id,
                    "t": tp.topic,
                    "p": tp.partition,
                    "o": offset,
                    "l": self.logs[tp],
                },
            )


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
