"""One batch through steps 1 and 2: validate, store (one transaction), produce, await acks.

The worker (worker.py) owns the loop, retries and offset commits around it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ingest import batch, metrics, store
from services.ingest.batch import DeadLetter, InRecord, Plan
from services.ingest.deadletter import dead_letter_messages
from services.ingest.forward import forward_messages, produce_all
from services.ingest.shops import ShopCache
from shared.contracts import Rejection, RejectReason
from shared.contracts.validation import Parsed as ParsedEvent
from shared.db import transaction
from shared.logging import get_logger

log = get_logger(__name__)

# Errors a record's content can cause in Postgres: isolate the record, never block on it.
_POISON = (DataError, IntegrityError)

Parsed = list[tuple[InRecord, ParsedEvent | Rejection]]
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class Raced(Exception):
    """Another writer stored one of our new event ids meanwhile: redo the batch."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    records: int
    stored: int
    forwarded: int
    duplicates: int
    dead_letters: int


@dataclass
class BatchProcessor:
    sessions: async_sessionmaker[AsyncSession]
    shops: ShopCache
    producer: AIOKafkaProducer
    # "Now" of the clock checks (SPEC §2: >5 min ahead, older than retention); tests pin it.
    clock: Clock = field(default=system_clock)

    async def process(
        self, records: Sequence[InRecord], parsed: Parsed | None = None
    ) -> BatchResult:
        """Steps 1 and 2 for one batch; a record Postgres refuses is dead-lettered alone."""
        plan = await self.store(records, parsed)
        await self.produce(plan)
        return self.count(records, plan)

    async def store(self, records: Sequence[InRecord], parsed: Parsed | None = None) -> Plan:
        """Step 1 (one committed transaction), or one per record when Postgres refuses
        the batch for its content. Returns what step 2 must produce."""
        try:
            return await self._store_batch(parsed or batch.parse_all(records))
        except _POISON as exc:
            if len(records) == 1:
                return await self._unstorable(records[0], exc)
            log.warning("ingest_batch_isolating", records=len(records), error=repr(exc))
            merged = Plan()
            for record in records:
                plan = await self.store([record])
                for name in ("insert", "forward", "replayed", "duplicates", "dead_letters"):
                    getattr(merged, name).extend(getattr(plan, name))
            return merged

    async def _store_batch(self, parsed: Parsed) -> Plan:
        now = self.clock()
        async with transaction(self.sessions) as session:
            retention = await self.shops.retention(
                session=session, shop_ids=batch.claimed_shops(parsed)
            )
            validated = batch.validate(parsed, retention=retention, now=now)
            plan = await self._store(session, validated)
            await store.insert_dead_letters(session=session, letters=plan.dead_letters)
        return plan

    async def _store(self, session: AsyncSession, validated: batch.Validated) -> Plan:
        """Insert first, look up only what conflicted: new ids are the common case."""
        plan = batch.resolve(validated, {})
        existing = await store.insert_events(session=session, candidates=plan.insert)
        if not existing:
            return plan
        inserted = {c.key for c in plan.insert} - existing
        plan = batch.resolve(validated, await store.find_stored(session=session, keys=existing))
        if {c.key for c in plan.insert} != inserted:
            raise Raced  # a row we saw conflict is gone, or another writer got in between
        return plan

    async def produce(self, plan: Plan) -> None:
        """Step 2: the forwards and dead letters, every ack awaited."""
        await produce_all(
            self.producer,
            forward_messages(plan.forward) + dead_letter_messages(plan.dead_letters),
        )

    async def _unstorable(self, record: InRecord, exc: Exception) -> Plan:
        parsed = batch.parse_all([record])[0][1]
        letter = DeadLetter(
            record,
            RejectReason.INVALID_FIELDS,
            f"the event could not be stored: {str(getattr(exc, 'orig', exc))[:500]}",
            parsed.shop_id or "",
            parsed.event_id,
        )
        log.warning(
            "ingest_unstorable",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=letter.detail,
        )
        async with transaction(self.sessions) as session:
            await store.insert_dead_letters(session=session, letters=[letter])
        return Plan(dead_letters=[letter])

    def count(self, records: Sequence[InRecord], plan: Plan) -> BatchResult:
        for topic, n in Counter(record.topic for record in records).items():
            metrics.EVENTS_IN.labels(topic).inc(n)
        metrics.STORED.inc(len(plan.insert))
        metrics.FORWARDED.inc(len(plan.forward))
        metrics.REPLAYED.inc(len(plan.replayed))
        metrics.DUPLICATES.inc(len(plan.duplicates))
        for letter in plan.dead_letters:
            metrics.DEAD_LETTERS.labels(str(letter.reason)).inc()
        if plan.dead_letters or plan.duplicates or plan.replayed:
            log.info(
                "ingest_batch",
                records=len(records),
                stored=len(plan.insert),
                reforwarded=len(plan.replayed),
                duplicates=len(plan.duplicates),
                dead_letters=len(plan.dead_letters),
            )
        return BatchResult(
            len(records),
            len(plan.insert),
            len(plan.forward),
            len(plan.duplicates),
            len(plan.dead_letters),
        )
