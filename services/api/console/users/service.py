"""Creating and listing console users (operator only)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ...audit.service import record, snapshot
from ...exceptions import Conflict, NotFound
from ...shops import repository as shops
from ..passwords import hash_password
from . import repository
from .schemas import ConsoleUserIn, ConsoleUserOut


def normal_email(email: str) -> str:
    return email.strip().lower()


async def _require_shop(session: AsyncSession, shop_id: str) -> None:
    if await shops.fetch_shop(session, shop_id) is None:
        raise NotFound(f"shop {shop_id!r} does not exist")


async def create_user(
    *, session: AsyncSession, shop_id: str, body: ConsoleUserIn, actor: str
) -> ConsoleUserOut:
    await _require_shop(session, shop_id)
    row = await repository.insert_user(
        session,
        {
            "shop_id": shop_id,
            "user_id": f"cu_{uuid.uuid4().hex[:16]}",
            "email": normal_email(body.email),
            "display_name": body.display_name,
            "role": body.role,
            "agent_id": body.agent_id,
            "password_hash": hash_password(body.password),
        },
    )
    if row is None:
        raise Conflict(f"a console user with email {body.email!r} exists already")
    created = ConsoleUserOut(**row._asdict())
    await record(
        session=session,
        actor=actor,
        action="console_user.created",
        shop_id=shop_id,
        target=f"shop/{shop_id}/console-user/{created.user_id}",
        before=None,
        after=snapshot(created),  # never the password (nor its hash)
    )
    return created


async def list_users(*, session: AsyncSession, shop_id: str) -> list[ConsoleUserOut]:
    await _require_shop(session, shop_id)
    return [ConsoleUserOut(**r._asdict()) for r in await repository.list_users(session, shop_id)]
