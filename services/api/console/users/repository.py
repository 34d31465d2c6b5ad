"""SQL of console users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import console_users

_C = console_users.c
_SHOWN = (_C.user_id, _C.shop_id, _C.email, _C.display_name, _C.role, _C.agent_id, _C.created_at)


async def insert_user(session: AsyncSession, values: dict[str, Any]) -> Any | None:
    """The new row, or None when the email is taken (in any shop)."""
    stmt = insert(console_users).values(**values).on_conflict_do_nothing().returning(*_SHOWN)
    return (await session.execute(stmt)).one_or_none()


async def list_users(session: AsyncSession, shop_id: str) -> list[Any]:
    stmt = select(*_SHOWN).where(_C.shop_id == shop_id).order_by(_C.email)
    return list((await session.execute(stmt)).all())


async def user_by_email(session: AsyncSession, email: str) -> Any | None:
    stmt = select(*_SHOWN, _C.password_hash).where(_C.email == email)
    return (await session.execute(stmt)).one_or_none()
