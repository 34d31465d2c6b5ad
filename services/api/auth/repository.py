"""SQL of authentication: a key by its hash (with its shop's rollup_version), and its
last use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import func

from shared.schema import api_keys, shops

# One round trip serves authentication and the metrics cache's version check.
_BY_HASH = (
    select(
        api_keys.c.shop_id,
        api_keys.c.key_id,
        api_keys.c.revoked_at,
        api_keys.c.last_used_at,
        shops.c.rollup_version,
        func.now().label("now"),
    )
    .join(shops, shops.c.shop_id == api_keys.c.shop_id)
    .where(api_keys.c.key_hash == bindparam("key_hash"))
)


async def fetch_key(session: AsyncSession | AsyncConnection, *, key_hash: bytes) -> Any | None:
    return (await session.execute(_BY_HASH, {"key_hash": key_hash})).one_or_none()


async def mark_used(
    session: AsyncSession | AsyncConnection, *, shop_id: str, key_id: str, resolution: timedelta
) -> None:
    """last_used_at = now, unless it is within `resolution` already: re-checked in SQL,
    so of concurrent requests one writes and the others skip."""
    stale = or_(
        api_keys.c.last_used_at.is_(None),
        api_keys.c.last_used_at < func.now() - resolution,
    )
    await session.execute(
        update(api_keys)
        .where(and_(api_keys.c.shop_id == shop_id, api_keys.c.key_id == key_id, stale))
        .values(last_used_at=func.now())
    )
