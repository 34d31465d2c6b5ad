"""Webhook subscriptions of a shop: create, read, change, rotate the secret, delete.

The secret is generated here and returned by create and rotate only (the API shows it
once). A rotation keeps the old secret signing next to the new one for 24 h, so that a
receiver can switch over without dropping a message. URLs pass the SSRF guard first.
"""

from __future__ import annotations

import secrets as random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Interval, delete, func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.schema import webhook_subscriptions as subs

from .outbox import EVENT_TYPES
from .signing import generate_secret
from .ssrf import TargetError, check_target

Session = AsyncSession | AsyncConnection
ROTATION_OVERLAP_SECONDS = 86400


@dataclass(frozen=True, slots=True)
class Subscription:
    subscription_id: str
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None
    secret: str  # shown to the shop only when created or rotated


def _from_row(row: Any) -> Subscription:
    return Subscription(
        subscription_id=row.subscription_id,
        url=row.url,
        event_types=list(row.event_types),
        description=row.description,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        secret=row.secret,
        previous_secret_expires_at=row.previous_secret_expires_at,
    )


def check_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        raise ValueError(
            f"event_types must be a non-empty list of {list(EVENT_TYPES)}"
            + (f"; unknown: {unknown}" if unknown else "")
        )
    return sorted(set(event_types))


async def check_url(url: str, *, allow_private: bool) -> None:
    """Raises TargetError (a ValueError) with the reason when the URL is not allowed."""
    await check_target(url, allow_private=allow_private)


async def create_subscription(
    *,
    session: Session,
    shop_id: str,
    url: str,
    event_types: list[str],
    description: str = "",
    allow_private: bool,
) -> Subscription:
    types = check_event_types(event_types)
    await check_url(url, allow_private=allow_private)
    row = (
        await session.execute(
            subs.insert()
            .values(
                shop_id=shop_id,
                subscription_id="sub_" + random.token_hex(12),
                url=url,
                event_types=types,
                description=description,
                secret=generate_secret(),
            )
            .returning(*subs.c)
        )
    ).one()
    return _from_row(row)


async def get_subscription(
    *, session: Session, shop_id: str, subscription_id: str
) -> Subscription | None:
    row = (
        await session.execute(
            select(subs).where(subs.c.shop_id == shop_id, subs.c.subscription_id == subscription_id)
        )
    ).one_or_none()
    return None if row is None else _from_row(row)


async def list_subscriptions(
    *, session: Session, shop_id: str, after: str | None, limit: int
) -> list[Subscription]:
    query = select(subs).where(subs.c.shop_id == shop_id)
    if after is not None:
        query = query.where(subs.c.subscription_id > after)
    rows = await session.execute(query.order_by(subs.c.subscription_id).limit(limit))
    return [_from_row(r) for r in rows]


async def update_subscription(
    *,
    session: Session,
    shop_id: str,
    subscription_id: str,
    changes: dict[str, Any],
    allow_private: bool,
) -> Subscription | None:
    """Apply any of url, event_types, description, enabled."""
    values = dict(changes)
    if "url" in values:
        await check_url(values["url"], allow_private=allow_private)
    if "event_types" in values:
        values["event_types"] = check_event_types(values["event_types"])
    row = (
        await session.execute(
            update(subs)
            .where(subs.c.shop_id == shop_id, subs.c.subscription_id == subscription_id)
            .values(**values, updated_at=func.now())
            .returning(*subs.c)
        )
    ).one_or_none()
    return None if row is None else _from_row(row)


async def rotate_secret(
    *,
    session: Session,
    shop_id: str,
    subscription_id: str,
    overlap_seconds: float = ROTATION_OVERLAP_SECONDS,
) -> Subscription | None:
    """A new secret; the old one keeps signing (second signature) for `overlap_seconds`."""
    row = (
        await session.execute(
            update(subs)
            .where(subs.c.shop_id == shop_id, subs.c.subscription_id == subscription_id)
            .values(
                previous_secret=subs.c.secret,
                previous_secret_expires_at=func.now()
                + literal(timedelta(seconds=overlap_seconds), Interval),
                secret=generate_secret(),
                updated_at=func.now(),
            )
            .returning(*subs.c)
        )
    ).one_or_none()
    return None if row is None else _from_row(row)


async def delete_subscription(*, session: Session, shop_id: str, subscription_id: str) -> bool:
    """Its pending deliveries end failed ('subscription deleted'), in the same transaction
    (the dispatcher's fair claim walks subscriptions; housekeeping.py fails any left)."""
    result = await session.execute(
        delete(subs).where(subs.c.shop_id == shop_id, subs.c.subscription_id == subscription_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.execute(
        text(
            "UPDATE webhook_deliveries SET status = 'failed', finished_at = clock_timestamp(),"
            " last_error = 'subscription deleted', updated_at = clock_timestamp()"
            " WHERE shop_id = :shop_id AND subscription_id = :subscription_id"
            " AND status = 'pending' AND (lease_until IS NULL OR lease_until < clock_timestamp())"
        ),
        {"shop_id": shop_id, "subscription_id": subscription_id},
    )
    return True


__all__ = [
    "Subscription",
    "TargetError",
    "create_subscription",
    "delete_subscription",
    "get_subscription",
    "list_subscriptions",
    "rotate_secret",
    "update_subscription",
]
