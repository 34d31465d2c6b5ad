"""Registering shops and changing them (operator only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record, snapshot
from ..exceptions import Conflict, NotFound
from ..pagination import Page, decode_cursor, page_of
from ..shop_settings.service import effective, merged
from . import repository
from .schemas import ShopCreate, ShopOut, ShopUpdate

_CHANGEABLE = {"name", "settings"}  # what an update can change: the audit's before/after


def _view(row: Any) -> ShopOut:
    shop = row._asdict()
    shop["settings"] = effective(dict(shop["settings"]))
    return ShopOut(**shop)


async def create_shop(*, session: AsyncSession, shop: ShopCreate, actor: str) -> ShopOut:
    overrides = merged({}, shop.settings) if shop.settings else {}
    row = await repository.insert_shop(
        session, shop_id=shop.shop_id, name=shop.name, overrides=overrides
    )
    if row is None:
        raise Conflict(f"shop {shop.shop_id!r} exists already; PATCH it to change it")
    created = _view(row)
    await record(
        session=session,
        actor=actor,
        action="shop.created",
        shop_id=shop.shop_id,
        target=f"shop/{shop.shop_id}",
        before=None,
        after=snapshot(created),
    )
    return created


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


async def update_shop(
    *, session: AsyncSession, shop_id: str, change: ShopUpdate, actor: str
) -> ShopOut:
    row = await repository.fetch_shop(session, shop_id, for_update=True)
    if row is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    before = snapshot(_view(row), include=_CHANGEABLE)
    values: dict[str, Any] = {}
    if change.name is not None:
        values["name"] = change.name
    if change.settings is not None:
        values["settings"] = merged(dict(row.settings), change.settings)
    if values:
        await repository.update_shop(session, shop_id, values)
    shop = await get_shop(session=session, shop_id=shop_id)
    after = snapshot(shop, include=_CHANGEABLE)
    if after != before:  # a change that changes nothing is no action to record
        await record(
            session=session,
            actor=actor,
            action="shop.updated",
            shop_id=shop_id,
            target=f"shop/{shop_id}",
            before=before,
            after=after,
        )
    return shop
