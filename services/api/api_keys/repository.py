"""SQL for api_keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import api_keys

_COLUMNS = (
    api_keys.c.key_id.label("id"),
    api_keys.c.shop_id,
    api_keys.c.name,
    api_keys.c.prefix,
    api_keys.c.created_at,
    api_keys.c.revoked_at,
    api_keys.c.last_used_at,
)


async def insert_key(
    session: AsyncSession, *, shop_id: str, key_id: str, name: str, prefix: str, key_hash: bytes
) -> Any:
    result = await session.execute(
        insert(api_keys)
        .values(shop_id=shop_id, key_id=key_id, name=name, prefix=prefix, key_hash=key_hash)
        .returning(*_COLUMNS)
    )
    return result.one()


async def fetch_keys(
    session: AsyncSession, *, shop_id: str, after: str | None, limit: int
) -> list[Any]:
    stmt = (
        select(*_COLUMNS)
        .where(api_keys.c.shop_id == shop_id)
        .order_by(api_keys.c.key_id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(api_keys.c.key_id > after)
    return list((await session.execute(stmt)).all())


async def fetch_key(session: AsyncSession, *, shop_id: str, key_id: str) -> Any | None:
    """The key (locked until the transaction ends), or None."""
    result = await session.execute(
        select(*_COLUMNS)
        .where(api_keys.c.shop_id == shop_id, api_keys.c.key_id == key_id)
        .with_for_update()
    )
    return result.one_or_none()


async def revoke_key(session: AsyncSession, *, shop_id: str, key_id: str) -> Any | None:
    """Revoke (idempotently: the first revocation time is kept); None if no such key."""
    result = await session.execute(
        update(api_keys)
        .where(api_keys.c.shop_id == shop_id, api_keys.c.key_id == key_id)
        .values(revoked_at=func.coalesce(api_keys.c.revoked_at, func.now()))
        .returning(*_COLUMNS)
    )
    return result.one_or_none()
