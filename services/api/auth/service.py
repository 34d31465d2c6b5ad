"""Who is calling: a shop (by API key) or the operator (by ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from shared.schema import api_keys

from ..exceptions import Unauthorized
from .keys import KEY_PREFIX, hash_key

# last_used_at is for "is this key still in use?", not an audit log: one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ShopCaller:
    shop_id: str
    key_id: str


async def authenticate_shop(*, session: AsyncSession, key: str) -> ShopCaller:
    """The shop owning this live key, or 401. Marks the key used (at most once a minute)."""
    if not key.startswith(KEY_PREFIX):
        raise Unauthorized("the bearer token is not a shop API key (they start with 'kfs_')")
    row = (
        await session.execute(
            select(
                api_keys.c.shop_id,
                api_keys.c.key_id,
                api_keys.c.revoked_at,
                api_keys.c.last_used_at,
                func.now().label("now"),
            ).where(api_keys.c.key_hash == hash_key(key))
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("unknown API key; ask the operator for a key for your shop")
    if row.revoked_at is not None:
        raise Unauthorized("this API key was revoked; ask the operator for a new one")
    if row.last_used_at is not None and row.now - row.last_used_at < LAST_USED_RESOLUTION:
        return ShopCaller(shop_id=row.shop_id, key_id=row.key_id)
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
    return ShopCaller(shop_id=row.shop_id, key_id=row.key_id)


def check_admin_token(*, presented: str, expected: str) -> None:
    """Constant-time comparison, so response timing reveals nothing of the token."""
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("this endpoint needs the operator's ADMIN_TOKEN as bearer token")
