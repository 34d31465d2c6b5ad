"""SQL of the deliveries' read side (subscriptions are services.webhooks.subscriptions')."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import webhook_attempts as attempts
from shared.schema import webhook_deliveries as deliveries
from shared.schema import webhook_events as events


def _base() -> Any:
    return select(
        deliveries,
        events.c.type,
        events.c.data,
        events.c.created_at.label("event_created_at"),
        func.clock_timestamp().label("now"),
    ).join(
        events,
        and_(events.c.shop_id == deliveries.c.shop_id, events.c.event_id == deliveries.c.event_id),
    )


async def list_deliveries(
    session: AsyncSession,
    *,
    shop_id: str,
    subscription_id: str | None,
    status: str | None,
    event_type: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[Any]:
    """Newest first; `before`: (created_at, delivery_id) of the previous page's last row."""
    query = _base().where(deliveries.c.shop_id == shop_id)
    if subscription_id is not None:
        query = query.where(deliveries.c.subscription_id == subscription_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if event_type is not None:
        query = query.where(events.c.type == event_type)
    if before is not None:
        at, last_id = before
        query = query.where(
            or_(
                deliveries.c.created_at < at,
                and_(deliveries.c.created_at == at, deliveries.c.delivery_id < last_id),
            )
        )
    query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.delivery_id.desc())
    return list((await session.execute(query.limit(limit))).all())


async def fetch_delivery(session: AsyncSession, *, shop_id: str, delivery_id: str) -> Any | None:
    query = _base().where(deliveries.c.shop_id == shop_id, deliveries.c.delivery_id == delivery_id)
    return (await session.execute(query)).one_or_none()


async def fetch_attempts(session: AsyncSession, *, shop_id: str, delivery_id: str) -> list[Any]:
    query = (
        select(attempts)
        .where(attempts.c.shop_id == shop_id, attempts.c.delivery_id == delivery_id)
        .order_by(attempts.c.attempt_no)
    )
    return list((await session.execute(query)).all())


async def make_due(session: AsyncSession, *, shop_id: str, delivery_id: str) -> None:
    """Due now, with a fresh retry window."""
    await session.execute(
        update(deliveries)
        .where(deliveries.c.shop_id == shop_id, deliveries.c.delivery_id == delivery_id)
        .values(
            status="pending",
            next_attempt_at=func.clock_timestamp(),
            expires_at=None,
            finished_at=None,
            lease_until=None,
            lease_token=None,
            updated_at=func.clock_timestamp(),
        )
    )
