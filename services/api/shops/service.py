"""Registering shops and changing them (operator only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..exceptions import Conflict, NotFound
from ..pagination import Page, decode_cursor, page_of
from ..shop_settings.service import effective, merged
from . import repository
from .schemas import ShopCreate, ShopOut, ShopUpdate


def _view(row: Any) -> ShopOut:
    shop = row._asdict()
    shop["settings"] = effective(dict(shop["settings"]))
    return ShopOut(**shop)


async def create_shop(*, session: AsyncSession, shop: ShopCreate) -> ShopOut:
    overrides = merged({}, shop.settings) if shop.settings else {}
    row = await repository.insert_shop(
        session, shop_id=shop.shop_id, name=shop.name, overrides=overrides
    )
    if row is None:
        raise Conflict(f"shop {shop.shop_id!r} exists already; PATCH it to change it")
    return _view(row)


async def get_shop(*, session: AsyncSession, shop_id: str) -> ShopOut:
    row = await repository.fetch_shop(session, shop_id)
    if row is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    return _view(row)


async def list_shops(*, session: AsyncSession, cursor: str | None, limit: int) -> Page[ShopOut]:
    after = str(decode_cursor(cursor, str)[0]) if cursor else None
    rows = await repository.fetch_shops(session, after=after, limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda r: [r.shop_id])
    return Page(items=[_view(r) for r in page], next_cursor=next_cursor)


async def update_shop(*, session: AsyncSession, shop_id: str, change: ShopUpdate) -> ShopOut:
    row = await repository.fetch_shop(session, shop_id)
    if row is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    values: dict[str, Any] = {}
    if change.name is not None:
        values["name"] = change.name
    if change.settings is not None:
        values["settings"] = merged(dict(row.settings), change.settings)
    if values:
        await repository.update_shop(session, shop_id, values)
    return await get_shop(session=session, shop_id=shop_id)
