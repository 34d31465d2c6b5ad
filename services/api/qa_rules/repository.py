"""SQL of a shop's QA rule overrides (shops.qa_rules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import shops


async def fetch_overrides(session: AsyncSession, *, shop_id: str) -> dict[str, Any] | None:
    """The stored overrides; None when the shop does not exist."""
    value = await session.scalar(select(shops.c.qa_rules).where(shops.c.shop_id == shop_id))
    return None if value is None else dict(value)


async def store_overrides(
    session: AsyncSession, *, shop_id: str, overrides: dict[str, Any]
) -> bool:
    """False when the shop does not exist."""
    result = await session.execute(
        update(shops)
        .where(shops.c.shop_id == shop_id)
        .values(qa_rules=overrides, updated_at=func.now())
        .returning(shops.c.shop_id)
    )
    return result.one_or_none() is not None
