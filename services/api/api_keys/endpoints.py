"""/admin/shops/{shop_id}/api-keys: issue (shown once), list (no secrets), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from ..deps import ActorDep, SessionDep
from ..pagination import Page, PageDep
from ..problems import problem_responses
from . import service
from .schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(prefix="/shops/{shop_id}/api-keys", tags=["admin: api keys"])

ShopIdPath = Annotated[str, Path(max_length=128)]
KeyIdPath = Annotated[str, Path(max_length=64)]


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Issue an API key for the shop (the key is shown only here)",
    responses=problem_responses(404),
)
async def issue_key(
    shop_id: ShopIdPath,
    session: SessionDep,
    response: Response,
    actor: ActorDep,
    body: Annotated[ApiKeyCreate | None, Body()] = None,
) -> ApiKeyCreated:
    created = await service.issue_key(
        session=session, shop_id=shop_id, name=body.name if body else "", actor=actor
    )
    response.headers["Location"] = f"/admin/shops/{shop_id}/api-keys/{created.id}"
    return created


@router.get(
    "",
    response_model=Page[ApiKeyOut],
    summary="The shop's keys, without secrets",
    responses=problem_responses(404),
)
async def list_keys(shop_id: ShopIdPath, session: SessionDep, page: PageDep) -> Page[ApiKeyOut]:
    return await service.list_keys(
        session=session, shop_id=shop_id, cursor=page.cursor, limit=page.limit
    )


@router.delete(
    "/{key_id}",
    response_model=ApiKeyOut,
    summary="Revoke a key (idempotent)",
    responses=problem_responses(404),
)
async def revoke_key(
    shop_id: ShopIdPath, key_id: KeyIdPath, session: SessionDep, actor: ActorDep
) -> ApiKeyOut:
    return await service.revoke_key(session=session, shop_id=shop_id, key_id=key_id, actor=actor)


@router.post(
    "/{key_id}/revoke",
    response_model=ApiKeyOut,
    summary="Revoke a key (same as DELETE)",
    responses=problem_responses(404),
)
async def revoke_key_post(
    shop_id: ShopIdPath, key_id: KeyIdPath, session: SessionDep, actor: ActorDep
) -> ApiKeyOut:
    return await service.revoke_key(session=session, shop_id=shop_id, key_id=key_id, actor=actor)
