"""SQL for shops."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import shops

_COLUMNS = (
    shops.c.shop_id,
    shops.c.name,
    shops.c.settings,
    shops.c.watermark,
    shops.c.created_at,
    shops.c.updated_at,
)


async def insert_shop(
    session: AsyncSession, *, shop_id: str, name: str, overrides: dict[str, Any]
) -> Any | None:
    """The new row, or None when the shop exists already."""
    result = await session.execute(
        pg_insert(shops)
        .values(shop_id=shop_id, name=name, settings=overrides)
        .on_conflict_do_nothing(index_elements=["shop_id"])
        .returning(*_COLUMNS)
    )
    return result.one_or_none()


async def fetch_shop(
    session: AsyncSession, shop_id: str, *, for_update: bool = False
) -> Any | None:
    """`for_update`: lock the row, so that concurrent changes are audited one after the
    other with the right before/after."""
    stmt = select(*_COLUMNS).where(shops.c.shop_id == shop_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).one_or_none()


async def fetch_shops(session: AsyncSession, *, after: str | None, limit: int) -> list[Any]:
    stmt = select(*_COLUMNS).order_by(shops.c.shop_id).limit(limit)
    if after is not None:
        stmt = stmt.where(shops.c.shop_id > after)
    return list((await session.execute(stmt)).all())


async def update_shop(session: AsyncSession, shop_id: str, values: dict[str, Any]) -> None:
    await session.execute(
        update(shops).where(shops.c.shop_id == shop_id).values(**values, updated_at=func.now())
    )
