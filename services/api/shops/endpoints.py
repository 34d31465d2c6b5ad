"""/admin/shops: register shops, list them, change their name and settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ..deps import ActorDep, SessionDep
from ..pagination import Page, PageDep
from ..problems import problem_responses
from . import service
from .schemas import ShopCreate, ShopOut, ShopUpdate

router = APIRouter(prefix="/shops", tags=["admin: shops"])

ShopIdPath = Annotated[str, Path(description="The shop's id", max_length=128)]


@router.post(
    "",
    status_code=201,
    response_model=ShopOut,
    summary="Register a shop",
    responses=problem_responses(409),
)
async def create_shop(
    shop: ShopCreate, session: SessionDep, response: Response, actor: ActorDep
) -> ShopOut:
    created = await service.create_shop(session=session, shop=shop, actor=actor)
    response.headers["Location"] = f"/admin/shops/{created.shop_id}"
    return created


@router.get("", response_model=Page[ShopOut], summary="List shops (by shop_id)")
async def list_shops(session: SessionDep, page: PageDep) -> Page[ShopOut]:
    return await service.list_shops(session=session, cursor=page.cursor, limit=page.limit)


@router.get(
    "/{shop_id}", response_model=ShopOut, summary="One shop", responses=problem_responses(404)
)
async def get_shop(shop_id: ShopIdPath, session: SessionDep) -> ShopOut:
    return await service.get_shop(session=session, shop_id=shop_id)


@router.patch(
    "/{shop_id}",
    response_model=ShopOut,
    summary="Rename a shop or change its settings (null resets a setting)",
    responses=problem_responses(404),
)
async def update_shop(
    shop_id: ShopIdPath, change: ShopUpdate, session: SessionDep, actor: ActorDep
) -> ShopOut:
    return await service.update_shop(session=session, shop_id=shop_id, change=change, actor=actor)
