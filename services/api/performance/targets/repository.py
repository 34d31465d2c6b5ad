"""SQL of targets: every statement is scoped by shop_id, so another shop's target is simply
not found (404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import targets

from ..params import new_id


async def insert_target(
    session: AsyncSession, *, shop_id: str, values: dict[str, Any]
) -> Row[Any] | None:
    """The new row, or None when the agent already has a target on that metric and period."""
    stmt = (
        pg_insert(targets)
        .values(shop_id=shop_id, target_id=new_id("tgt"), **values)
        .on_conflict_do_nothing(index_elements=["shop_id", "agent_id", "period", "metric"])
        .returning(*targets.c)
    )
    return (await session.execute(stmt)).one_or_none()


async def fetch_target(session: AsyncSession, *, shop_id: str, target_id: str) -> Row[Any] | None:
    stmt = select(targets).where(targets.c.shop_id == shop_id, targets.c.target_id == target_id)
    return (await session.execute(stmt)).one_or_none()


async def list_targets(
    session: AsyncSession,
    *,
    shop_id: str,
    filters: dict[str, str | None],
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Row[Any]]:
    stmt = select(targets).where(targets.c.shop_id == shop_id)
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(targets.c[column] == value)
    if after is not None:
        stmt = stmt.where(tuple_(targets.c.created_at, targets.c.target_id) > after)
    stmt = stmt.order_by(targets.c.created_at, targets.c.target_id).limit(limit)
    return list((await session.execute(stmt)).all())


async def update_target(
    session: AsyncSession, *, shop_id: str, target_id: str, values: dict[str, Any]
) -> Row[Any] | None:
    stmt = (
        update(targets)
        .where(targets.c.shop_id == shop_id, targets.c.target_id == target_id)
        .values(**values, updated_at=func.now())
        .returning(*targets.c)
    )
    return (await session.execute(stmt)).one_or_none()


async def delete_target(session: AsyncSession, *, shop_id: str, target_id: str) -> bool:
    stmt = delete(targets).where(targets.c.shop_id == shop_id, targets.c.target_id == target_id)
    return bool((await session.execute(stmt.returning(targets.c.target_id))).first())
