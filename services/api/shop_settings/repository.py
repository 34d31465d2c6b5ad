"""SQL of a shop's settings overrides (shops.settings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import shops


async def fetch_overrides(session: AsyncSession, *, shop_id: str) -> dict[str, Any] | None:
    """The stored overrides; None when the shop does not exist."""
    value = await session.scalar(select(shops.c.settings).where(shops.c.shop_id == shop_id))
    return None if value is None else dict(value)


async def store_overrides(
    session: AsyncSession, *, shop_id: str, overrides: dict[str, Any]
) -> None:
    await session.execute(
        update(shops)
        .where(shops.c.shop_id == shop_id)
        .values(settings=overrides, updated_at=func.now())
    )
