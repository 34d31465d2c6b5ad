"""The dispatcher's SQL: claim due deliveries under a lease, record an attempt's outcome.

Claiming uses SELECT … FOR UPDATE SKIP LOCKED, so concurrent dispatchers split the due
rows instead of queueing on them, and sets a lease (lease_until, lease_token): a claimed
row is not due again until its lease runs out, which happens only if its dispatcher died
(the lease outlasts an attempt's timeout). Outcomes are fenced by the lease token, so a
dispatcher that lost its lease can never overwrite the new owner's result.

All times are the database's clock (clock_timestamp()), shared by every dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Fair claim: per subscription (deleted ones' rows are failed by housekeeping.py), its
# due rows in next_attempt_at order, at most `per_sub` minus what is in flight for it
# (leased by any dispatcher): a subscription whose receiver hangs holds at most `per_sub`
# of the dispatchers' slots, and its backlog (however long) is never scanned past them.
# Across subscriptions, turn by turn: every subscription's most overdue row before any
# subscription's second (then by age), so a backlog never crowds the others out. Every
# step is an index range scan (ix_webhook_deliveries_sub_due, _leased).
_CLAIM = text(
    """
    WITH room AS (
        SELECT s.shop_id, s.subscription_id,
               CAST(:per_sub AS int) - (
                   SELECT count(*) FROM webhook_deliveries f
                   WHERE f.shop_id = s.shop_id AND f.subscription_id = s.subscription_id
                     AND f.lease_until IS NOT NULL AND f.lease_until >= clock_timestamp()
                     AND f.status = 'pending') AS free
        FROM webhook_subscriptions s
    ), due AS (
        SELECT d.shop_id, d.delivery_id
        FROM room CROSS JOIN LATERAL (
            SELECT y.*, row_number() OVER (ORDER BY y.next_attempt_at) AS turn
            FROM (
                SELECT x.shop_id, x.delivery_id, x.next_attempt_at FROM webhook_deliveries x
                WHERE x.shop_id = room.shop_id AND x.subscription_id = room.subscription_id
                  AND x.status = 'pending' AND x.next_attempt_at <= clock_timestamp()
                  AND (x.lease_until IS NULL OR x.lease_until < clock_timestamp())
                ORDER BY x.next_attempt_at
                LIMIT greatest(room.free, 0)
                FOR UPDATE SKIP LOCKED
            ) y
        ) d
        WHERE room.free > 0
        ORDER BY d.turn, d.next_attempt_at
        LIMIT :limit
    ), claimed AS (
        UPDATE webhook_deliveries d SET
            lease_until = clock_timestamp() + make_interval(secs => CAST(:lease AS float8)),
            lease_token = :token,
            attempts = d.attempts + 1,
            expires_at = coalesce(
                d.expires_at, clock_timestamp() + make_interval(secs => CAST(:max_age AS float8))),
            updated_at = clock_timestamp()
        FROM due WHERE d.shop_id = due.shop_id AND d.delivery_id = due.delivery_id
        RETURNING d.shop_id, d.delivery_id, d.event_id, d.subscription_id, d.attempts
    )
    SELECT c.shop_id, c.delivery_id, c.subscription_id, c.attempts AS attempt_no,
           e.event_id, e.type, e.data, e.created_at,
           s.url, s.secret, s.enabled,
           CASE WHEN s.previous_secret_expires_at > clock_timestamp()
                THEN s.previous_secret END AS previous_secret
    FROM claimed c
    JOIN webhook_events e ON e.shop_id = c.shop_id AND e.event_id = c.event_id
    LEFT JOIN webhook_subscriptions s
           ON s.shop_id = c.shop_id AND s.subscription_id = c.subscription_id
    """
)

# For every claimed delivery at once: a previous attempt still open belonged to a
# dispatcher that died mid-attempt (closed as interrupted); then this attempt's row.
_OPEN_ATTEMPTS = text(
    """
    WITH k AS (
        SELECT * FROM unnest(CAST(:shop_ids AS text[]), CAST(:delivery_ids AS text[]),
                             CAST(:attempt_nos AS int[])) AS k(shop_id, delivery_id, attempt_no)
    ), interrupted AS (
        UPDATE webhook_attempts a SET finished_at = clock_timestamp(),
            error = 'interrupted: the dispatcher stopped before recording the result'
        FROM k WHERE a.shop_id = k.shop_id AND a.delivery_id = k.delivery_id
          AND a.finished_at IS NULL AND a.attempt_no < k.attempt_no
    )
    INSERT INTO webhook_attempts (shop_id, delivery_id, attempt_no, started_at)
    SELECT shop_id, delivery_id, attempt_no, clock_timestamp() FROM k
    ON CONFLICT DO NOTHING
    """
)

# pending → delivered | pending (retry) | failed; a retry past expires_at is a failure.
_RECORD = text(
    """
    WITH decided AS (
        SELECT CASE
            WHEN :ok THEN 'delivered'
            WHEN :retry AND clock_timestamp() + make_interval(secs => CAST(:delay AS float8))
                            <= expires_at THEN 'pending'
            ELSE 'failed' END AS status
        FROM webhook_deliveries
        WHERE shop_id = :shop_id AND delivery_id = :delivery_id AND lease_token = :token
    )
    UPDATE webhook_deliveries d SET
        status = decided.status,
        next_attempt_at = CASE WHEN decided.status = 'pending'
            THEN clock_timestamp() + make_interval(secs => CAST(:delay AS float8))
            ELSE d.next_attempt_at END,
        finished_at = CASE WHEN decided.status = 'pending' THEN NULL ELSE clock_timestamp() END,
        lease_until = NULL, lease_token = NULL,
        last_status_code = :status_code, last_error = :error,
        updated_at = clock_timestamp()
    FROM decided
    WHERE d.shop_id = :shop_id AND d.delivery_id = :delivery_id AND d.lease_token = :token
    RETURNING decided.status
    """
)

_CLOSE_ATTEMPT = text(
    """
    UPDATE webhook_attempts SET finished_at = clock_timestamp(), duration_ms = :duration_ms,
        status_code = :status_code, error = :error
    WHERE shop_id = :shop_id AND delivery_id = :delivery_id AND attempt_no = :attempt_no
      AND finished_at IS NULL
    """
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One delivery this dispatcher now owns, with what it needs to send it."""

    shop_id: str
    delivery_id: str
    attempt_no: int
    token: str
    event_id: str
    type: str
    data: dict[str, Any]
    created_at: datetime
    url: str | None  # None: the subscription was deleted
    secrets: tuple[str, ...]  # current first, then the rotated one during its overlap
    enabled: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    retry: bool  # False: give up now (e.g. the subscription is gone)
    delay_seconds: float
    status_code: int | None
    error: str | None
    duration_ms: int | None


async def claim_due(
    *,
    session: AsyncSession,
    token: str,
    limit: int,
    lease_seconds: float,
    max_age: float,
    per_subscription: int = 4,
) -> list[Claimed]:
    """Claim up to `limit` due deliveries, at most `per_subscription` in flight per
    subscription, and open an attempt row for each (no commit)."""
    params = {
        "limit": limit,
        "lease": lease_seconds,
        "token": token,
        "max_age": max_age,
        "per_sub": per_subscription,
    }
    rows = (await session.execute(_CLAIM, params)).mappings().all()
    if rows:
        await session.execute(
            _OPEN_ATTEMPTS,
            {
                "shop_ids": [r["shop_id"] for r in rows],
                "delivery_ids": [r["delivery_id"] for r in rows],
                "attempt_nos": [r["attempt_no"] for r in rows],
            },
        )
    claimed = []
    for r in rows:
        secrets = tuple(s for s in (r["secret"], r["previous_secret"]) if s)
        claimed.append(
            Claimed(
                shop_id=r["shop_id"],
                delivery_id=r["delivery_id"],
                attempt_no=r["attempt_no"],
                token=token,
                event_id=r["event_id"],
                type=r["type"],
                data=r["data"],
                created_at=r["created_at"],
                url=r["url"],
                secrets=secrets,
                enabled=bool(r["enabled"]),
            )
        )
    return claimed


async def record_outcome(
    *, session: AsyncSession, claimed: Claimed, outcome: Outcome
) -> str | None:
    """Store the attempt and the delivery's new status; None if the lease was lost."""
    key = {"shop_id": claimed.shop_id, "delivery_id": claimed.delivery_id}
    attempt = {"status_code": outcome.status_code, "error": outcome.error}
    status = (
        await session.execute(
            _RECORD,
            {
                **key,
                **attempt,
                "token": claimed.token,
                "ok": outcome.ok,
                "retry": outcome.retry,
                "delay": outcome.delay_seconds,
            },
        )
    ).scalar_one_or_none()
    await session.execute(
        _CLOSE_ATTEMPT,
        {**key, **attempt, "attempt_no": claimed.attempt_no, "duration_ms": outcome.duration_ms},
    )
    return status


async def backlog(*, session: AsyncSession) -> tuple[int, int]:
    """(pending deliveries, of which due now): the outbox backlog (index-only on status)."""
    row = (
        await session.execute(
            text(
                "SELECT count(*) AS pending, "
                "count(*) FILTER (WHERE next_attempt_at <= clock_timestamp()) AS due "
                "FROM webhook_deliveries WHERE status = 'pending'"
            )
        )
    ).one()
    return int(row.pending), int(row.due)
