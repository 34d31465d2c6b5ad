"""Subscriptions (through services.webhooks.subscriptions) and the deliveries' read side."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks import subscriptions as subs
from shared.schema import webhook_attempts as attempts
from shared.schema import webhook_deliveries as deliveries
from shared.schema import webhook_events as events

from ..exceptions import Conflict, NotFound, Unprocessable
from ..pagination import decode_cursor, page_of
from .schemas import SubscriptionIn, SubscriptionPatch


def _public(sub: subs.Subscription, *, with_secret: bool = False) -> dict[str, Any]:
    out = {
        "subscription_id": sub.subscription_id,
        "url": sub.url,
        "event_types": sub.event_types,
        "description": sub.description,
        "enabled": sub.enabled,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
        "previous_secret_expires_at": sub.previous_secret_expires_at,
    }
    if with_secret:
        out["secret"] = sub.secret
    return out


def _refused(exc: ValueError, field: str) -> Unprocessable:
    return Unprocessable.field(["body", field], str(exc))


def _missing(subscription_id: str) -> NotFound:
    return NotFound(f"webhook subscription {subscription_id!r} does not exist in this shop")


async def create(
    *, session: AsyncSession, shop_id: str, body: SubscriptionIn, allow_private: bool
) -> dict[str, Any]:
    try:
        sub = await subs.create_subscription(
            session=session,
            shop_id=shop_id,
            url=body.url,
            event_types=list(body.event_types),
            description=body.description,
            allow_private=allow_private,
        )
    except subs.TargetError as exc:
        raise _refused(exc, "url") from exc
    except ValueError as exc:
        raise _refused(exc, "event_types") from exc
    return _public(sub, with_secret=True)


async def get(*, session: AsyncSession, shop_id: str, subscription_id: str) -> dict[str, Any]:
    sub = await subs.get_subscription(
        session=session, shop_id=shop_id, subscription_id=subscription_id
    )
    if sub is None:
        raise _missing(subscription_id)
    return _public(sub)


async def list_(
    *, session: AsyncSession, shop_id: str, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows = await subs.list_subscriptions(
        session=session, shop_id=shop_id, after=after, limit=limit + 1
    )
    page, next_cursor = page_of(rows, limit, lambda s: [s.subscription_id])
    return [_public(s) for s in page], next_cursor


async def patch(
    *,
    session: AsyncSession,
    shop_id: str,
    subscription_id: str,
    body: SubscriptionPatch,
    allow_private: bool,
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise Unprocessable.field(["body", name], f"{name} cannot be null")
    try:
        sub = await subs.update_subscription(
            session=session,
            shop_id=shop_id,
            subscription_id=subscription_id,
            changes=changes,
            allow_private=allow_private,
        )
    except subs.TargetError as exc:
        raise _refused(exc, "url") from exc
    if sub is None:
        raise _missing(subscription_id)
    return _public(sub)


async def rotate(*, session: AsyncSession, shop_id: str, subscription_id: str) -> dict[str, Any]:
    sub = await subs.rotate_secret(
        session=session, shop_id=shop_id, subscription_id=subscription_id
    )
    if sub is None:
        raise _missing(subscription_id)
    return _public(sub, with_secret=True)


async def delete(*, session: AsyncSession, shop_id: str, subscription_id: str) -> None:
    if not await subs.delete_subscription(
        session=session, shop_id=shop_id, subscription_id=subscription_id
    ):
        raise _missing(subscription_id)


# --- deliveries ---------------------------------------------------------------------


def _delivery(row: Any) -> dict[str, Any]:
    status = row.status
    if status == "pending" and row.lease_until is not None and row.lease_until > row.now:
        status = "delivering"
    return {
        "delivery_id": row.delivery_id,
        "subscription_id": row.subscription_id,
        "event_id": row.event_id,
        "event_type": row.type,
        "status": status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
    }


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
    *,
    session: AsyncSession,
    shop_id: str,
    subscription_id: str | None,
    status: str | None,
    event_type: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first."""
    query = _base().where(deliveries.c.shop_id == shop_id)
    if subscription_id is not None:
        query = query.where(deliveries.c.subscription_id == subscription_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if event_type is not None:
        query = query.where(events.c.type == event_type)
    if cursor:
        at, last_id = decode_cursor(cursor, 2)
        try:
            at_time = datetime.fromisoformat(str(at))
        except ValueError as exc:
            raise Unprocessable.field(
                ["query", "cursor"], "cursor is not one this API returned"
            ) from exc
        query = query.where(
            or_(
                deliveries.c.created_at < at_time,
                and_(deliveries.c.created_at == at_time, deliveries.c.delivery_id < str(last_id)),
            )
        )
    query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.delivery_id.desc())
    rows = (await session.execute(query.limit(limit + 1))).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.created_at.isoformat(), r.delivery_id])
    return [_delivery(r) for r in page], next_cursor


async def get_delivery(*, session: AsyncSession, shop_id: str, delivery_id: str) -> dict[str, Any]:
    row = (
        await session.execute(
            _base().where(deliveries.c.shop_id == shop_id, deliveries.c.delivery_id == delivery_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"webhook delivery {delivery_id!r} does not exist in this shop")
    log = await session.execute(
        select(attempts)
        .where(attempts.c.shop_id == shop_id, attempts.c.delivery_id == delivery_id)
        .order_by(attempts.c.attempt_no)
    )
    out = _delivery(row)
    out["event"] = {
        "id": row.event_id,
        "type": row.type,
        "shop_id": shop_id,
        "created_at": row.event_created_at,
        "data": row.data,
    }
    out["attempt_log"] = [dict(a._mapping) for a in log]
    return out


async def redeliver(*, session: AsyncSession, shop_id: str, delivery_id: str) -> dict[str, Any]:
    """Due now, with a fresh 24 h retry window; the receiver sees the same webhook-id."""
    current = await get_delivery(session=session, shop_id=shop_id, delivery_id=delivery_id)
    if current["status"] == "delivering":
        raise Conflict(f"delivery {delivery_id!r} is being attempted right now; retry shortly")
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
    return await get_delivery(session=session, shop_id=shop_id, delivery_id=delivery_id)
