"""The streaming shell: consume cs.events.v1 in batches, commit results with offsets.

Positions come from Postgres (consumer_offsets) on every partition assignment, each valid
only in the log it was read from (positions.py); Kafka's committed offsets are never
used. A batch is processed and committed while holding `busy`, and a revocation waits for
it, so a partition changes owner between batches. Between batches the worker catches up
from the raw tables what no record brought (catch_up_plan.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import metrics, retention
from services.scoring.batch_processor import BatchResult, CatchUp, process_records
from services.scoring.catch_up_plan import CatchUpPlan
from services.scoring.collector import Collector
from services.scoring.hooks import AfterBatch
from services.scoring.input_memo import CAPACITY as MEMO_BUYERS
from services.scoring.input_memo import InputMemo
from services.scoring.offsets import Stored, load_offsets
from services.scoring.positions import Positions
from services.scoring.repository import Pg, driver, load_shops
from services.scoring.settings import GROUP_ID
from services.scoring.timeline_cache import EVENT_CAPACITY, TimelineCache
from shared import heap, topics
from shared.db import DATABASE_UNAVAILABLE
from shared.every import Every
from shared.kafka import create_consumer
from shared.logging import get_logger
from shared.settings import Settings
from shared.shutdown import WORKER_STEP_SECONDS, bounded, drained

log = get_logger(__name__)

# How long the broker may hold a fetch while no new record is there (aiokafka's default is
# 500 ms). Every batch waits for the next fetch, so this bounds freshness when idle-ish.
FETCH_MAX_WAIT_MS = 100
_T = TypeVar("_T")
Records = dict[TopicPartition, list[ConsumerRecord]]  # type: ignore[type-arg]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: ScoringWorker) -> None:
        self.worker = worker

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        async with self.worker.busy:  # let the in-flight batch commit first
            self.worker.memo.clear()  # another worker may own these buyers next
            self.worker.timelines.clear()  # and see their records instead of us
            log.info("partitions_revoked", partitions=sorted(tp.partition for tp in revoked))

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        await self.worker.seek_stored(list(assigned))


class ScoringWorker:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        settings: Settings,
        group_id: str = GROUP_ID,
        topic: str = topics.EVENTS,
        max_records: int = 20_000,
        partitions: Sequence[int] | None = None,
        consumer_options: dict[str, object] | None = None,
        batch_delay_s: float = 0.0,
        catch_up: CatchUpPlan | None = None,
        after_batch: Sequence[AfterBatch] = (),
        purge_every_s: float | None = retention.INTERVAL_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeline_cache_events: int = EVENT_CAPACITY,
        input_memo_buyers: int = MEMO_BUYERS,
    ) -> None:
        """`partitions`: a static assignment instead of group membership (tests, benches,
        a single-process deployment); positions still come from Postgres. `batch_delay_s`:
        a test-only wait inside each batch's transaction (SCORING_BATCH_DELAY_MS).
        `after_batch`: hooks run inside every batch's transaction (alert evaluation:
        __main__.py). `purge_every_s`: how often the raw events the owned shops no longer
        keep are purged (retention.py; None: never); `clock` is its "now"."""
        self.engine = engine
        self.group_id = group_id
        self.topic = topic
        self.max_records = max_records
        self.partitions = partitions
        self.batch_delay_s = batch_delay_s
        self.after_batch = tuple(after_batch)
        self.bootstrap = settings.require_kafka()
        self.busy = asyncio.Lock()
        self.collector = Collector()
        # Inputs of this worker's committed derivations, to skip unchanged buyers.
        self.memo = InputMemo(input_memo_buyers)
        # Raw timelines of buyers this worker derived (valid while it owns their shops).
        self.timelines = TimelineCache(event_capacity=timeline_cache_events)
        options: dict[str, object] = {
            "max_partition_fetch_bytes": 8 * 1024 * 1024,
            "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
        }
        options.update(consumer_options or {})
        self.consumer: AIOKafkaConsumer = create_consumer(
            group_id=group_id,
            settings=settings,
            client_id=f"{group_id}-worker",
            **options,
        )
        self.positions = Positions(self.consumer, self.bootstrap)
        self.catch_up = catch_up or CatchUpPlan()
        # the first purge once the worker runs
        self._purge = None if purge_every_s is None else Every(purge_every_s, first=0)
        self.clock = clock
        # Between batches, glibc's free heap pages back to the system (shared/heap.py).
        self._heap_trim = Every(heap.EVERY_S)

    async def seek_stored(self, assigned: list[TopicPartition]) -> None:
        """Resume every assigned partition where Postgres says its results end (in the
        same log)."""
        async with self.busy:
            self.memo.clear()
            self.timelines.clear()
            self.catch_up.clear()
            stored, shops = await _until_reachable(lambda: self._load_stored(assigned))
            # A partition read from its start (another log, or nothing stored) has its
            # shops caught up: what its old log held beyond the stored offset.
            restarted = await self.positions.resume(assigned, stored)
            self.catch_up.add(self._shops_of(shops, restarted))
        log.info(
            "partitions_assigned",
            partitions=sorted(tp.partition for tp in assigned),
            stored={tp.partition: s.offset for tp, s in stored.items()},
        )

    async def _load_stored(
        self, assigned: list[TopicPartition]
    ) -> tuple[dict[TopicPartition, Stored], list[str]]:
        async with self.engine.connect() as conn:
            pg = await driver(conn)
            stored = await load_offsets(pg=pg, group_id=self.group_id, partitions=assigned)
            shops = await _shop_ids(pg)
            await conn.rollback()
        return stored, shops

    def _shops_of(self, shops: list[str], partitions: Iterable[TopicPartition]) -> list[str]:
        """The shops whose events the partitions carry (all, if the count is unknown)."""
        count = len(self.consumer.partitions_for_topic(self.topic) or ())
        wanted = {tp.partition for tp in partitions if tp.topic == self.topic}
        if not count:
            return shops
        return [s for s in shops if topics.partition_of(s.encode(), count) in wanted]

    async def _check_logs(self) -> None:
        """A log replaced under the running worker: read it from its start, catch up."""
        if not self.positions.check_due():
            return
        async with self.busy:
            changed = await self.positions.restart_changed()
            if not changed:
                return
            async with self.engine.connect() as conn:
                shops = await _shop_ids(await driver(conn))
                await conn.rollback()
            self.catch_up.add(self._shops_of(shops, changed))

    async def _sweep(self) -> None:
        """Queue every owned shop: what a later catch-up must read stays one interval."""
        async with self.engine.connect() as conn:
            shops = await _shop_ids(await driver(conn))
            await conn.rollback()
        self.catch_up.add(self._shops_of(shops, self.consumer.assignment()))

    async def _catch_up_step(self) -> None:
        async with self.busy:
            taken = self.catch_up.take()
            owned = set(self._shops_of(taken, self.consumer.assignment()))
            stepped = [s for s in taken if s in owned]
            result = None
            if stepped:
                try:
                    step = CatchUp(stepped, self.catch_up.rows_per_step, self.catch_up.seen)
                    result = await self._commit({}, step)
                except Exception as exc:
                    _failed("catch_up_failed_will_retry", exc, shops=len(stepped))
                    await asyncio.sleep(1.0)  # as a failed batch: no tight retry loop
                    return
            # Shops no longer owned leave the queue: their new owner catches them up.
            self.catch_up.finished(
                taken, set(taken) - owned | (result.caught_up if result else set())
            )
        metrics.CATCH_UP_PENDING.set(len(self.catch_up))
        if result is None:
            return
        metrics.CATCH_UP_EVENTS.inc(result.catch_up_events)
        if result.catch_up_events:
            log.info(
                "caught_up_from_raw_tables",
                shops=len(stepped),
                events=result.catch_up_events,
                buyers=result.buyers,
            )

    def _purge_due(self) -> bool:
        return self._purge is not None and self._purge.due()

    async def _purge_step(self) -> None:
        """A failed purge never stops scoring: it is tried again at the next interval."""
        try:
            await self.purge()
        except Exception as exc:
            _failed("retention_purge_failed", exc)

    async def purge(self) -> list[retention.Purged]:
        """Purge the raw events the owned shops no longer keep (retention.py), one
        transaction per shop under its lock; purged buyers leave the in-memory caches."""
        async with self.busy:
            async with self.engine.connect() as conn:
                shops = self._shops_of(
                    await _shop_ids(await driver(conn)), self.consumer.assignment()
                )
                await conn.rollback()
            done = []
            for shop_id in shops:
                async with self.engine.begin() as conn:
                    pg = await driver(conn)
                    shop = (await load_shops(pg=pg, shop_ids=[shop_id])).get(shop_id)
                    if shop is None:
                        continue
                    purged = await retention.purge_shop(
                        pg=pg, shop_id=shop_id, settings=shop.settings, now=self.clock()
                    )
                for key in retention.purged_keys(purged):
                    self.timelines.evict(key)
                if purged.buyers:
                    self.memo.clear()
                    log.info(
                        "raw_events_purged",
                        shop_id=shop_id,
                        before=purged.before.isoformat(),
                        buyers=len(purged.buyers),
                        chat_rows=purged.chat_rows,
                        order_rows=purged.order_rows,
                    )
                done.append(purged)
            return done

    async def run(self, stop: asyncio.Event) -> None:
        self.collector.start()
        if self.partitions is None:
            self.consumer.subscribe([self.topic], listener=_Rebalance(self))
            await self.consumer.start()
        else:
            await self.consumer.start()
            assigned = [TopicPartition(self.topic, p) for p in self.partitions]
            self.consumer.assign(assigned)
            await self.seek_stored(assigned)
        log.info("scoring_worker_started", group_id=self.group_id, topic=self.topic)
        try:
            await drained("batches", self._consume(stop), stop)
        finally:
            # leaves the group: partitions move at once (unless the broker is away)
            await bounded("consumer", self.consumer.stop(), WORKER_STEP_SECONDS)
            await bounded("positions", self.positions.close(), WORKER_STEP_SECONDS)
            log.info("scoring_worker_stopped", group_id=self.group_id)

    async def _consume(self, stop: asyncio.Event) -> None:
        """Batches until `stop`. Cancelled at shutdown (a broker that hangs), a batch's
        transaction rolls back with its offsets: the next owner scores it."""
        while not stop.is_set():
            await _tolerating_outage(self._check_logs(), "check_logs")
            batch = await self.consumer.getmany(timeout_ms=200, max_records=self.max_records)
            if batch:
                await self._handle(batch)
            if self.catch_up.sweep_due():
                await _tolerating_outage(self._sweep(), "sweep")
            if self.catch_up.step_due(idle=not batch):
                await self._catch_up_step()
            if self._purge_due():
                await self._purge_step()
            if self._heap_trim.due():
                heap.release()

    async def _handle(self, batch: Records) -> None:
        async with self.busy:
            owned = self.consumer.assignment()
            batch = {tp: recs for tp, recs in batch.items() if tp in owned and recs}
            if not batch:
                return
            started = time.perf_counter()
            try:
                with self.collector.batch():
                    result = await self._commit(batch)
            except Exception as exc:
                firsts = {tp.partition: recs[0].offset for tp, recs in batch.items()}
                _failed("batch_failed_will_retry", exc, partitions=firsts)
                for tp, recs in batch.items():
                    self.consumer.seek(tp, recs[0].offset)
                await asyncio.sleep(1.0)
                return
            elapsed = time.perf_counter() - started
        self._observe(batch, result, elapsed)

    async def _commit(self, batch: Records, catch_up: CatchUp | None = None) -> BatchResult:
        async with self.engine.connect() as reader, self.engine.begin() as conn:
            result = await process_records(
                conn=conn,
                group_id=self.group_id,
                records=batch,
                memo=self.memo,
                cache=self.timelines,
                reader=reader,
                logs=self.positions.logs,
                catch_up=catch_up,
                after_batch=self.after_batch,
            )
            if self.batch_delay_s:  # results written, not yet committed: a crash loses them
                await asyncio.sleep(self.batch_delay_s)
        self.memo.remember(result.inputs)  # committed: the stored rows are these
        self.catch_up.remember(result.arrivals)
        return result

    def _observe(self, batch: Records, result: BatchResult, elapsed: float) -> None:
        metrics.EVENTS.inc(result.records)
        metrics.SKIPPED.inc(result.records - result.events)
        metrics.BATCHES.inc()
        metrics.BATCH_SECONDS.observe(elapsed)
        metrics.BUYERS_REDERIVED.inc(result.buyers)
        metrics.BUYERS_UNCHANGED.inc(result.unchanged)
        metrics.TIMELINE_CACHE_BUYERS.set(len(self.timelines))
        metrics.TIMELINE_CACHE_EVENTS.set(self.timelines.events)
        metrics.INPUT_MEMO_BUYERS.set(len(self.memo))
        for tp, recs in batch.items():
            high = self.consumer.highwater(tp)
            if high is not None:
                lag = high - recs[-1].offset - 1
                metrics.LAG.labels(tp.topic, str(tp.partition)).set(lag)
                self.catch_up.note_lag(tp, lag)
        log.debug(
            "batch_committed",
            records=result.records,
            buyers=result.buyers,
            unchanged=result.unchanged,
            timeline_events=result.timeline_events,
            seconds=round(elapsed, 4),
        )


def _failed(event: str, exc: Exception, **fields: object) -> None:
    """The database away: one line (an outage repeats it every second); anything else
    with its traceback."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        log.warning(event, database_unavailable=repr(exc)[:200], **fields)
    else:
        log.exception(event, **fields)


async def _until_reachable(load: Callable[[], Awaitable[_T]]) -> _T:
    """`load()` retried while the database is away (an outage during an assignment: the
    partitions are not read before their stored positions are known)."""
    delay = 0.2
    while True:
        try:
            return await load()
        except DATABASE_UNAVAILABLE as exc:
            log.warning("database_unavailable_will_retry", error=repr(exc)[:200], retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _tolerating_outage(step: Awaitable[object], what: str) -> None:
    """A housekeeping step that fails while the database or the broker is away is
    skipped; the loop runs it again on its next turn (record batches retry on their own:
    `_handle`)."""
    try:
        await step
    except (*DATABASE_UNAVAILABLE, KafkaError, OSError, TimeoutError) as exc:
        log.warning("outage_step_skipped", step=what, error=repr(exc)[:200])
        await asyncio.sleep(1.0)


async def _shop_ids(pg: Pg) -> list[str]:
    cur = await pg.execute("SELECT shop_id FROM shops")
    return [row[0] for row in await cur.fetchall()]
