"""/admin/shops/{shop_id}/console-users: the operator creates and lists console users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ...deps import ActorDep, SessionDep
from ...problems import problem_responses
from . import service
from .schemas import ConsoleUserIn, ConsoleUserOut

router = APIRouter(prefix="/shops/{shop_id}/console-users", tags=["admin: console users"])

ShopIdPath = Annotated[str, Path(description="The shop's id", max_length=128)]


@router.post(
    "",
    status_code=201,
    response_model=ConsoleUserOut,
    summary="Create a console user (manager, or agent bound to one agent_id)",
    description="The password is stored as an argon2id hash and never shown again. "
    "Emails are unique across shops (sign-in asks for no shop).",
    responses=problem_responses(404, 409),
)
async def create_console_user(
    shop_id: ShopIdPath,
    body: ConsoleUserIn,
    session: SessionDep,
    response: Response,
    actor: ActorDep,
) -> ConsoleUserOut:
    created = await service.create_user(session=session, shop_id=shop_id, body=body, actor=actor)
    response.headers["Location"] = f"/admin/shops/{shop_id}/console-users"
    return created


@router.get(
    "",
    response_model=list[ConsoleUserOut],
    summary="The shop's console users (by email)",
    responses=problem_responses(404),
)
async def list_console_users(shop_id: ShopIdPath, session: SessionDep) -> list[ConsoleUserOut]:
    return await service.list_users(session=session, shop_id=shop_id)
