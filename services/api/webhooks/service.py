"""Subscriptions (through services.webhooks.subscriptions) and the deliveries' read side."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks import subscriptions as subs

from ..exceptions import Conflict, NotFound, Unprocessable
from ..pagination import Page, decode_cursor, page_of
from . import repository
from .schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    EventOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionWithSecret,
)


def _fields(sub: subs.Subscription) -> dict[str, Any]:
    return {
        "subscription_id": sub.subscription_id,
        "url": sub.url,
        "event_types": sub.event_types,
        "description": sub.description,
        "enabled": sub.enabled,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
        "previous_secret_expires_at": sub.previous_secret_expires_at,
    }


def _public(sub: subs.Subscription) -> SubscriptionOut:
    return SubscriptionOut(**_fields(sub))


def _with_secret(sub: subs.Subscription) -> SubscriptionWithSecret:
    return SubscriptionWithSecret(**_fields(sub), secret=sub.secret)


def _refused(exc: ValueError, field: str) -> Unprocessable:
    return Unprocessable.field(["body", field], str(exc))


def _missing(subscription_id: str) -> NotFound:
    return NotFound(f"webhook subscription {subscription_id!r} does not exist in this shop")


async def create(
    *, session: AsyncSession, shop_id: str, body: SubscriptionIn, allow_private: bool
) -> SubscriptionWithSecret:
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
    return _with_secret(sub)


async def get(*, session: AsyncSession, shop_id: str, subscription_id: str) -> SubscriptionOut:
    sub = await subs.get_subscription(
        session=session, shop_id=shop_id, subscription_id=subscription_id
    )
    if sub is None:
        raise _missing(subscription_id)
    return _public(sub)


async def list_(
    *, session: AsyncSession, shop_id: str, cursor: str | None, limit: int
) -> Page[SubscriptionOut]:
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows = await subs.list_subscriptions(
        session=session, shop_id=shop_id, after=after, limit=limit + 1
    )
    page, next_cursor = page_of(rows, limit, lambda s: [s.subscription_id])
    return Page(items=[_public(s) for s in page], next_cursor=next_cursor)


async def patch(
    *,
    session: AsyncSession,
    shop_id: str,
    subscription_id: str,
    body: SubscriptionPatch,
    allow_private: bool,
) -> SubscriptionOut:
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


async def rotate(
    *, session: AsyncSession, shop_id: str, subscription_id: str
) -> SubscriptionWithSecret:
    sub = await subs.rotate_secret(
        session=session, shop_id=shop_id, subscription_id=subscription_id
    )
    if sub is None:
        raise _missing(subscription_id)
    return _with_secret(sub)


async def delete(*, session: AsyncSession, shop_id: str, subscription_id: str) -> None:
    if not await subs.delete_subscription(
        session=session, shop_id=shop_id, subscription_id=subscription_id
    ):
        raise _missing(subscription_id)


# --- deliveries ---------------------------------------------------------------------


def _delivery_fields(row: Any) -> dict[str, Any]:
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


def _before(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    at, last_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(at)), str(last_id)
    except ValueError as exc:
        raise Unprocessable.field(
            ["query", "cursor"], "cursor is not one this API returned"
        ) from exc


async def list_deliveries(
    *,
    session: AsyncSession,
    shop_id: str,
    subscription_id: str | None,
    status: str | None,
    event_type: str | None,
    cursor: str | None,
    limit: int,
) -> Page[DeliveryOut]:
    """Newest first."""
    rows = await repository.list_deliveries(
        session,
        shop_id=shop_id,
        subscription_id=subscription_id,
        status=status,
        event_type=event_type,
        before=_before(cursor),
        limit=limit + 1,
    )
    page, next_cursor = page_of(rows, limit, lambda r: [r.created_at.isoformat(), r.delivery_id])
    return Page(items=[DeliveryOut(**_delivery_fields(r)) for r in page], next_cursor=next_cursor)


async def get_delivery(*, session: AsyncSession, shop_id: str, delivery_id: str) -> DeliveryDetail:
    row = await repository.fetch_delivery(session, shop_id=shop_id, delivery_id=delivery_id)
    if row is None:
        raise NotFound(f"webhook delivery {delivery_id!r} does not exist in this shop")
    log = await repository.fetch_attempts(session, shop_id=shop_id, delivery_id=delivery_id)
    return DeliveryDetail(
        **_delivery_fields(row),
        event=EventOut(
            id=row.event_id,
            type=row.type,
            shop_id=shop_id,
            created_at=row.event_created_at,
            data=row.data,
        ),
        attempt_log=[AttemptOut(**a._mapping) for a in log],
    )


async def redeliver(*, session: AsyncSession, shop_id: str, delivery_id: str) -> DeliveryDetail:
    """Due now, with a fresh 24 h retry window; the receiver sees the same webhook-id."""
    current = await get_delivery(session=session, shop_id=shop_id, delivery_id=delivery_id)
    if current.status == "delivering":
        raise Conflict(f"delivery {delivery_id!r} is being attempted right now; retry shortly")
    await repository.make_due(session, shop_id=shop_id, delivery_id=delivery_id)
    return await get_delivery(session=session, shop_id=shop_id, delivery_id=delivery_id)
