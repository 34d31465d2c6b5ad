"""The outbox writer: an event and its deliveries, in the caller's transaction.

Nothing is sent here. The rows become visible to the dispatcher only when the caller
commits, so a rolled-back batch sends nothing and a committed one cannot lose its events.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

EVENT_TYPES = (
    "alert.breached",
    "alert.resolved",
    "qa.violation",
    "qa.violation.withdrawn",
    "review.bad",
    "review.bad.withdrawn",
)

# Stores the events (an id already stored is skipped: its fact was notified before) and
# fans each new one out to the shop's live subscriptions for its type: one statement for
# any number of events (a subscriber of qa.violation also gets qa.violation.withdrawn).
# Deliveries are made in the events' order, so their next_attempt_at (clock_timestamp)
# order is the order the events were given in.
_ENQUEUE = text(
    """
    WITH given AS (
        SELECT e.event_id, e.type, CAST(e.data AS jsonb) AS data, e.n
        FROM unnest(CAST(:event_ids AS text[]), CAST(:types AS text[]), CAST(:data AS text[]))
             WITH ORDINALITY AS e(event_id, type, data, n)
    ), stored AS (
        INSERT INTO webhook_events (shop_id, event_id, type, data, created_at)
        SELECT :shop_id, g.event_id, g.type, g.data, :now FROM given g ORDER BY g.n
        ON CONFLICT (shop_id, event_id) DO NOTHING
        RETURNING event_id, type
    ), fanned AS (
        INSERT INTO webhook_deliveries (shop_id, delivery_id, event_id, subscription_id,
                                        status, next_attempt_at)
        SELECT s.shop_id, 'dlv_' || replace(gen_random_uuid()::text, '-', ''), st.event_id,
               s.subscription_id, 'pending', clock_timestamp()
        FROM stored st
        JOIN given g ON g.event_id = st.event_id
        JOIN webhook_subscriptions s
          ON s.shop_id = :shop_id AND s.enabled
         AND (s.event_types @> jsonb_build_array(st.type)
              OR (st.type = 'qa.violation.withdrawn'
                  AND s.event_types @> '["qa.violation"]'::jsonb))
        ORDER BY g.n, s.subscription_id
        ON CONFLICT DO NOTHING
    )
    SELECT event_id FROM stored
    """
)


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    type: str
    data: dict[str, Any]
    # Deterministic ids make an event idempotent (stored once, ever); None: a fresh id.
    event_id: str | None = None


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


async def enqueue_events(
    *,
    session: AsyncSession | AsyncConnection,
    shop_id: str,
    events: Sequence[OutboxEvent],
    now: datetime,
) -> list[str]:
    """Store events for the shop's subscribers in one round trip; returns the ids stored,
    in the given order. An id already stored (or given twice) is stored once: re-deriving
    the same fact never notifies twice. No commit: the caller's transaction decides."""
    for event in events:
        if event.type not in EVENT_TYPES:
            raise ValueError(f"unknown webhook event type {event.type!r}; known: {EVENT_TYPES}")
    unique: dict[str, OutboxEvent] = {}
    for event in events:
        unique.setdefault(event.event_id or new_event_id(), event)
    if not unique:
        return []
    params = {
        "shop_id": shop_id,
        "now": now,
        "event_ids": list(unique),
        "types": [e.type for e in unique.values()],
        # What the JSONB column type would send (json.dumps), as text for the jsonb cast.
        "data": [json.dumps(e.data) for e in unique.values()],
    }
    stored = set((await session.execute(_ENQUEUE, params)).scalars())
    return [event_id for event_id in unique if event_id in stored]


async def enqueue_event(
    *,
    session: AsyncSession | AsyncConnection,
    shop_id: str,
    type: str,
    data: dict[str, Any],
    now: datetime,
    event_id: str | None = None,
) -> str | None:
    """Store one event for the shop's subscribers; returns its id, or None when an event
    with this (deterministic) id was already stored. No commit."""
    stored = await enqueue_events(
        session=session, shop_id=shop_id, events=[OutboxEvent(type, data, event_id)], now=now
    )
    return stored[0] if stored else None
