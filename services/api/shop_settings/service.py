"""Reading and changing a shop's settings; only overrides are stored (shops.settings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.settings import ShopSettings

from ..exceptions import NotFound, Unprocessable
from . import repository
from .schemas import ShopSettingsOut, ShopSettingsPatch


def effective(overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides over the defaults, as the scoring core will read them."""
    try:
        return ShopSettings.from_dict(overrides).to_dict()
    except ValueError as exc:  # stored before a rule tightened: show, don't crash
        raise Unprocessable(f"stored settings are invalid: {exc}") from exc


def merged(overrides: dict[str, Any], patch: ShopSettingsPatch) -> dict[str, Any]:
    """New overrides: fields set in the patch replace, `null` removes."""
    result = dict(overrides)
    for name, value in patch.model_dump(exclude_unset=True).items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    effective(result)  # the core must accept what we store
    return result


async def stored_overrides(*, session: AsyncSession, shop_id: str) -> dict[str, Any]:
    overrides = await repository.fetch_overrides(session, shop_id=shop_id)
    if overrides is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    return overrides


async def get_settings(*, session: AsyncSession, shop_id: str) -> ShopSettingsOut:
    return ShopSettingsOut(**effective(await stored_overrides(session=session, shop_id=shop_id)))


async def patch_settings(
    *, session: AsyncSession, shop_id: str, patch: ShopSettingsPatch
) -> ShopSettingsOut:
    overrides = merged(await stored_overrides(session=session, shop_id=shop_id), patch)
    await repository.store_overrides(session, shop_id=shop_id, overrides=overrides)
    return ShopSettingsOut(**effective(overrides))
