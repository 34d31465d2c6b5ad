"""Who is calling: a shop (by API key) or the operator (by ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..exceptions import Unauthorized
from . import repository
from .keys import KEY_PREFIX, hash_key

# last_used_at is for "is this key still in use?", not an audit log: one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ShopCaller:
    shop_id: str
    key_id: str
    # shops.rollup_version when the request started: the key of cached metrics responses.
    rollup_version: int = 0


async def authenticate_shop(*, session: AsyncSession | AsyncConnection, key: str) -> ShopCaller:
    """The shop owning this live key, or 401. Marks the key used (at most once a minute;
    with an autocommit connection, even when the request itself fails)."""
    if not key.startswith(KEY_PREFIX):
        raise Unauthorized("the bearer token is not a shop API key (they start with 'kfs_')")
    row = await repository.fetch_key(session, key_hash=hash_key(key))
    if row is None:
        raise Unauthorized("unknown API key; ask the operator for a key for your shop")
    if row.revoked_at is not None:
        raise Unauthorized("this API key was revoked; ask the operator for a new one")
    caller = ShopCaller(shop_id=row.shop_id, key_id=row.key_id, rollup_version=row.rollup_version)
    if row.last_used_at is not None and row.now - row.last_used_at < LAST_USED_RESOLUTION:
        return caller
    await repository.mark_used(
        session, shop_id=row.shop_id, key_id=row.key_id, resolution=LAST_USED_RESOLUTION
    )
    return caller


def check_admin_token(*, presented: str, expected: str) -> None:
    """Constant-time comparison, so response timing reveals nothing of the token."""
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("this endpoint needs the operator's ADMIN_TOKEN as bearer token")
