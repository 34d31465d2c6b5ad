"""GET/PATCH /v1/settings: the calling shop's settings (SPEC §3)."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CurrentShop, SessionDep
from ..problems import problem_responses
from . import service
from .schemas import ShopSettingsOut, ShopSettingsPatch

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("", response_model=ShopSettingsOut, summary="The shop's settings in effect")
async def get_settings(shop: CurrentShop, session: SessionDep) -> ShopSettingsOut:
    return await service.get_settings(session=session, shop_id=shop.shop_id)


@router.patch(
    "",
    response_model=ShopSettingsOut,
    summary="Change settings (null resets one to its default)",
    description="Applies to new results; an operator rescore recomputes history.",
    responses=problem_responses(422),
)
async def patch_settings(
    shop: CurrentShop, session: SessionDep, patch: ShopSettingsPatch
) -> ShopSettingsOut:
    return await service.patch_settings(session=session, shop_id=shop.shop_id, patch=patch)
