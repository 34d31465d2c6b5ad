"""The ingest shell: consume a batch, store and produce it (processor.py), commit offsets.

Decided order, so that no valid event is lost by any crash:
  1. one DB transaction stores the valid events (ON CONFLICT DO NOTHING) and dead letters;
  2. forwards and dead letters are produced and every ack awaited;
  3. the Kafka offsets are committed.
A crash anywhere re-reads the batch; events whose stored row has the same source are our
own earlier attempt and are forwarded again (at-least-once downstream; scoring dedupes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest import batch, metrics
from services.ingest.batch import InRecord, Plan
from services.ingest.config import IngestSettings
from services.ingest.offsets import InputLogs
from services.ingest.processor import BatchProcessor, Parsed, Raced
from services.ingest.shops import ShopCache
from shared import topics
from shared.db import DATABASE_UNAVAILABLE, create_engine, session_factory
from shared.kafka import create_consumer, create_producer
from shared.logging import get_logger
from shared.shutdown import WORKER_STEP_SECONDS, bounded, drained

log = get_logger(__name__)
_T = TypeVar("_T")

# Errors worth retrying the whole batch for (it is idempotent): the broker or the
# database is away for a moment.
_TRANSIENT = (KafkaError, *DATABASE_UNAVAILABLE, OSError, asyncio.TimeoutError)


class _Stopping(Exception):
    """Stop requested while a batch could not be stored: leave it uncommitted."""


@dataclass(frozen=True, slots=True)
class _Fetched:
    records: list[InRecord]
    parsed: Parsed
    offsets: dict[TopicPartition, int]
    started: float
    epochs: dict[TopicPartition, int]  # InputLogs.epochs when fetched


def to_record(message: ConsumerRecord[bytes, bytes]) -> InRecord:
    return InRecord(message.topic, message.partition, message.offset, message.key, message.value)


class _NoteAssignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Remember newly assigned partitions: the poll loop checks the log their committed
    offsets belong to before reading (see offsets.InputLogs)."""

    def __init__(self, pending: set[TopicPartition]) -> None:
        self._pending = pending

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._pending.difference_update(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._pending.update(assigned)
        log.info(  # the whole assignment (eager rebalancing): who reads what, for operators
            "partitions_assigned",
            partitions=sorted(f"{tp.topic}:{tp.partition}" for tp in assigned),
        )


def tune_gc() -> None:
    """Batches allocate ~30 objects per record; the default GC thresholds then run full
    collections over the whole heap many times per batch (a quarter of the CPU in
    profiles). Freeze what startup allocated and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


class IngestWorker:
    def __init__(self, settings: IngestSettings, *, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self._own_engine = engine is None
        self.engine = engine or create_engine(settings, pool_size=2)
        self.producer: AIOKafkaProducer = create_producer(settings)
        self.processor = BatchProcessor(
            session_factory(self.engine),
            ShopCache(ttl_seconds=settings.ingest_shop_cache_seconds),
            self.producer,
            clock=settings.clock(),
        )
        self.consumer: AIOKafkaConsumer = create_consumer(
            group_id=settings.ingest_group_id,
            settings=settings,
            session_timeout_ms=settings.ingest_session_timeout_ms,
            heartbeat_interval_ms=max(300, settings.ingest_session_timeout_ms // 10),
        )
        self.processed = 0
        # Last committed position per partition (tests and the benchmark watch it).
        self.committed: dict[TopicPartition, int] = {}
        self.logs = InputLogs(
            self.consumer,
            settings.require_kafka(),
            self.engine,
            settings.ingest_group_id,
            committed=self.committed,
        )
        self._newly_assigned: set[TopicPartition] = set()
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; the batch in hand is finished and committed first."""
        await self.producer.start()
        try:
            self.consumer.subscribe(
                list(topics.INPUT), listener=_NoteAssignments(self._newly_assigned)
            )
            await self.consumer.start()
            try:
                log.info("ingest_started", group=self.settings.ingest_group_id)
                await drained("batches", self._loop(stop), stop)
            finally:
                await bounded("consumer", self.consumer.stop(), WORKER_STEP_SECONDS)
                await bounded("input_logs", self.logs.close(), WORKER_STEP_SECONDS)
        finally:
            await bounded("producer", self.producer.stop(), WORKER_STEP_SECONDS)
            if self._own_engine:
                await bounded("database", self.engine.dispose(), WORKER_STEP_SECONDS)
        log.info("ingest_stopped", processed=self.processed)

    async def _loop(self, stop: asyncio.Event) -> None:
        self._stop = stop
        with contextlib.suppress(_Stopping):
            await self._batches(stop)

    async def _batches(self, stop: asyncio.Event) -> None:
        """Three batches in flight: N+2 is fetched and parsed (CPU) while N+1 is stored
        (Postgres) and N is produced and committed (broker).

        Each step still takes the batches one at a time and in order: N+1 is stored after
        N's transaction committed (so dedupe sees N), and N's offsets are committed before
        N+1's. A crash re-reads every uncommitted batch, stored or not (rows with the same
        source are recognised as our own and forwarded again). A prefetched batch dropped
        at shutdown is not committed either, so it is simply re-read.
        """
        pending = asyncio.ensure_future(self._fetch())
        shipping: asyncio.Future[None] | None = None
        try:
            while not stop.is_set():
                current = await pending
                pending = asyncio.ensure_future(self._fetch())
                if current is None:
                    continue
                plan = await self._store_with_retry(current)
                if shipping is not None:
                    await shipping
                shipping = asyncio.ensure_future(self._ship(current, plan))
            if shipping is not None:  # stopping: the stored batch is committed first
                await shipping
        finally:
            for task in (pending, shipping):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _fetch(self) -> _Fetched | None:
        if self._newly_assigned:
            assigned = list(self._newly_assigned)
            self._newly_assigned.clear()
            await self._retrying(self.logs.assigned, assigned)
        if self.logs.check_due():
            await self._retrying(self.logs.check)
        epochs = dict(self.logs.epochs)
        fetched = await self.consumer.getmany(
            timeout_ms=self.settings.ingest_poll_timeout_ms,
            max_records=self.settings.ingest_max_batch,
        )
        if not fetched:
            return None
        started = time.perf_counter()
        records = [to_record(m) for messages in fetched.values() for m in messages]
        offsets = {tp: messages[-1].offset + 1 for tp, messages in fetched.items() if messages}
        return _Fetched(records, batch.parse_all(records), offsets, started, epochs)

    async def _store_with_retry(self, fetched: _Fetched) -> Plan:
        while True:
            try:
                return await self._retrying(self.processor.store, fetched.records, fetched.parsed)
            except Raced:
                log.info("ingest_batch_raced", records=len(fetched.records))

    async def _ship(self, fetched: _Fetched, plan: Plan) -> None:
        await self._retrying(self.processor.produce, plan)
        # A partition restarted in a new log since this batch was fetched: its offsets
        # belong to the old log and are not committed (its events are stored all the same).
        epochs = self.logs.epochs
        await self._commit(
            {tp: o for tp, o in fetched.offsets.items() if epochs.get(tp) == fetched.epochs.get(tp)}
        )
        self.processor.count(fetched.records, plan)
        metrics.BATCH_SECONDS.observe(time.perf_counter() - fetched.started)
        self.processed += len(fetched.records)
        await self._update_lag(fetched.offsets)

    async def _retrying(self, step: Callable[..., Awaitable[_T]], *args: object) -> _T:
        """Run a step until it succeeds, backing off while Postgres or the broker is away
        (every step is idempotent)."""
        delay = 0.2
        while True:
            try:
                return await step(*args)
            except _TRANSIENT as exc:
                if self._stop.is_set():  # shutting down: the uncommitted batch is re-read
                    raise _Stopping from exc
                log.warning("ingest_batch_retry", error=repr(exc), retry_in=delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 10.0)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
            self.committed.update(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError, OSError) as exc:
            # A rebalance took the partition, or the broker is away: the batch is read
            # again (by its new owner, or after the outage), which is idempotent, so this
            # is not fatal.
            metrics.COMMIT_FAILURES.inc()
            log.warning("ingest_commit_failed", error=repr(exc), partitions=len(offsets))

    async def _update_lag(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            highwater = self.consumer.highwater(tp)
            if highwater is None:
                continue
            position = await self.consumer.position(tp)
            metrics.LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - position))
