"""The outbox writer: an event and its deliveries, in the caller's transaction.

Nothing is sent here. The rows become visible to the dispatcher only when the caller
commits, so a rolled-back batch sends nothing and a committed one cannot lose its events.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.schema import webhook_events

EVENT_TYPES = ("alert.breached", "alert.resolved", "qa.violation")

# Fan-out to the shop's live subscriptions for this type, in one statement.
_FAN_OUT = text(
    """
    INSERT INTO webhook_deliveries (shop_id, delivery_id, event_id, subscription_id, status,
                                    next_attempt_at)
    SELECT s.shop_id, 'dlv_' || replace(gen_random_uuid()::text, '-', ''), :event_id,
           s.subscription_id, 'pending', clock_timestamp()
    FROM webhook_subscriptions s
    WHERE s.shop_id = :shop_id AND s.enabled
      AND s.event_types @> jsonb_build_array(CAST(:type AS text))
    ON CONFLICT DO NOTHING
    """
)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


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
    with this (deterministic) id was already stored — so that re-deriving the same fact
    never notifies twice. No commit: the caller's transaction decides."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}; known: {EVENT_TYPES}")
    event_id = event_id or new_event_id()
    stored = await session.execute(
        insert(webhook_events)
        .values(shop_id=shop_id, event_id=event_id, type=type, data=data, created_at=now)
        .on_conflict_do_nothing(index_elements=["shop_id", "event_id"])
        .returning(webhook_events.c.event_id)
    )
    if stored.scalar_one_or_none() is None:
        return None
    await session.execute(_FAN_OUT, {"shop_id": shop_id, "event_id": event_id, "type": type})
    return event_id
