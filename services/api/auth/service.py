"""Who is calling: a shop (by API key) or the operator (by ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import func

from shared.schema import api_keys, shops

from ..exceptions import Unauthorized
from .keys import KEY_PREFIX, hash_key

# last_used_at is for "is this key still in use?", not an audit log: one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ShopCaller:
    shop_id: str
    key_id: str
    # shops.rollup_version when the request started: the key of cached metrics responses.
    rollup_version: int = 0


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


async def authenticate_shop(*, session: AsyncSession | AsyncConnection, key: str) -> ShopCaller:
    """The shop owning this live key, or 401. Marks the key used (at most once a minute;
    with an autocommit connection, even when the request itself fails)."""
    if not key.startswith(KEY_PREFIX):
        raise Unauthorized("the bearer token is not a shop API key (they start with 'kfs_')")
    row = (await session.execute(_BY_HASH, {"key_hash": hash_key(key)})).one_or_none()
    if row is None:
        raise Unauthorized("unknown API key; ask the operator for a key for your shop")
    if row.revoked_at is not None:
        raise Unauthorized("this API key was revoked; ask the operator for a new one")
    caller = ShopCaller(shop_id=row.shop_id, key_id=row.key_id, rollup_version=row.rollup_version)
    if row.last_used_at is not None and row.now - row.last_used_at < LAST_USED_RESOLUTION:
        return caller
    # Re-checked in SQL: of concurrent requests, one writes and the others skip.
    stale = or_(
        api_keys.c.last_used_at.is_(None),
        api_keys.c.last_used_at < func.now() - LAST_USED_RESOLUTION,
    )
    await session.execute(
        update(api_keys)
        .where(and_(api_keys.c.shop_id == row.shop_id, api_keys.c.key_id == row.key_id, stale))
        .values(last_used_at=func.now())
    )
    return caller


def check_admin_token(*, presented: str, expected: str) -> None:
    """Constant-time comparison, so response timing reveals nothing of the token."""
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("this endpoint needs the operator's ADMIN_TOKEN as bearer token")
