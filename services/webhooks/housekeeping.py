"""The dispatcher's periodic housekeeping (issue #18), in short batched statements:

- pending deliveries whose subscription was deleted end failed ('subscription deleted'):
  the fair claim (claims.py) walks subscriptions, so it would never reach them;
- delivered rows older than the retention are deleted with their attempts, then events
  (older than the retention) left with no delivery at all — except the types whose
  stored event is their own dedupe record (review.bad and its withdrawal look their ids
  up in webhook_events: services/alerts/reviews.py); qa.violation keeps its own ledger
  (qa_notices), alerts have fresh ids. Failed deliveries stay: the shop may redeliver
  them.

Any number of dispatchers may run it at once: every statement is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import transaction

BATCH = 5000  # rows per statement: short transactions, short locks

_FAIL_ORPHANS = text(
    """
    UPDATE webhook_deliveries d SET status = 'failed', finished_at = clock_timestamp(),
        last_error = 'subscription deleted', lease_until = NULL, lease_token = NULL,
        updated_at = clock_timestamp()
    WHERE (d.shop_id, d.delivery_id) IN (
        SELECT x.shop_id, x.delivery_id FROM webhook_deliveries x
        WHERE x.status = 'pending' AND NOT EXISTS (
            SELECT 1 FROM webhook_subscriptions s
            WHERE s.shop_id = x.shop_id AND s.subscription_id = x.subscription_id)
        LIMIT :batch FOR UPDATE SKIP LOCKED)
    """
)

_PURGE_DELIVERED = text(
    """
    WITH gone AS (
        DELETE FROM webhook_deliveries WHERE (shop_id, delivery_id) IN (
            SELECT shop_id, delivery_id FROM webhook_deliveries
            WHERE status = 'delivered'
              AND finished_at < clock_timestamp() - make_interval(secs => CAST(:age AS float8))
            LIMIT :batch FOR UPDATE SKIP LOCKED)
        RETURNING shop_id, delivery_id
    ), attempts AS (
        DELETE FROM webhook_attempts a USING gone
        WHERE a.shop_id = gone.shop_id AND a.delivery_id = gone.delivery_id
    )
    SELECT count(*) FROM gone
    """
)

_PURGE_EVENTS = text(
    """
    DELETE FROM webhook_events WHERE (shop_id, event_id) IN (
        SELECT e.shop_id, e.event_id FROM webhook_events e
        WHERE e.created_at < clock_timestamp() - make_interval(secs => CAST(:age AS float8))
          AND e.type NOT IN ('review.bad', 'review.bad.withdrawn')
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                          WHERE d.shop_id = e.shop_id AND d.event_id = e.event_id)
        LIMIT :batch)
    """
)


@dataclass(frozen=True, slots=True)
class Swept:
    orphans_failed: int
    delivered_deleted: int
    events_deleted: int


async def _repeat(
    factory: async_sessionmaker[AsyncSession], stmt: TextClause, **params: float
) -> int:
    """Run a batched statement until it touches fewer than a batch; rows touched (its
    count(*) if it returns one, else its row count)."""
    total = 0
    while True:
        async with transaction(factory) as session:
            result = await session.execute(stmt, {"batch": BATCH, **params})
            n = int(result.scalar_one()) if result.returns_rows else int(result.rowcount)  # type: ignore[attr-defined]
        total += n
        if n < BATCH:
            return total


async def sweep(
    *, factory: async_sessionmaker[AsyncSession], retention_seconds: float | None
) -> Swept:
    """Fail orphaned deliveries; with a retention, delete what is older."""
    orphans = await _repeat(factory, _FAIL_ORPHANS)
    if retention_seconds is None:
        return Swept(orphans, 0, 0)
    delivered = await _repeat(factory, _PURGE_DELIVERED, age=retention_seconds)
    events = await _repeat(factory, _PURGE_EVENTS, age=retention_seconds)
    return Swept(orphans, delivered, events)
