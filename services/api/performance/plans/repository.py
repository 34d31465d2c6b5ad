"""SQL of bonus plans and honour plans (same keys and life cycle): every statement is
scoped by shop_id, so another shop's plan is simply not found (404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import bonus_plans, honour_plans

from ..params import new_id

PLAN_TABLES: dict[str, Table] = {"bonus": bonus_plans, "honour": honour_plans}
_PREFIX = {"bonus": "bp", "honour": "hp"}


async def insert_plan(
    session: AsyncSession, *, kind: str, shop_id: str, values: dict[str, Any]
) -> Row[Any]:
    table = PLAN_TABLES[kind]
    stmt = insert(table).values(shop_id=shop_id, plan_id=new_id(_PREFIX[kind]), **values)
    return (await session.execute(stmt.returning(*table.c))).one()


async def fetch_plan(
    session: AsyncSession, *, kind: str, shop_id: str, plan_id: str
) -> Row[Any] | None:
    table = PLAN_TABLES[kind]
    stmt = select(table).where(table.c.shop_id == shop_id, table.c.plan_id == plan_id)
    return (await session.execute(stmt)).one_or_none()


async def list_plans(
    session: AsyncSession,
    *,
    kind: str,
    shop_id: str,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Row[Any]]:
    table = PLAN_TABLES[kind]
    stmt = select(table).where(table.c.shop_id == shop_id)
    if after is not None:
        stmt = stmt.where(tuple_(table.c.created_at, table.c.plan_id) > after)
    stmt = stmt.order_by(table.c.created_at, table.c.plan_id).limit(limit)
    return list((await session.execute(stmt)).all())


async def replace_plan(
    session: AsyncSession, *, kind: str, shop_id: str, plan_id: str, values: dict[str, Any]
) -> Row[Any] | None:
    table = PLAN_TABLES[kind]
    stmt = (
        update(table)
        .where(table.c.shop_id == shop_id, table.c.plan_id == plan_id)
        .values(**values, updated_at=func.now())
        .returning(*table.c)
    )
    return (await session.execute(stmt)).one_or_none()


async def delete_plan(session: AsyncSession, *, kind: str, shop_id: str, plan_id: str) -> bool:
    table = PLAN_TABLES[kind]
    stmt = delete(table).where(table.c.shop_id == shop_id, table.c.plan_id == plan_id)
    return bool((await session.execute(stmt.returning(table.c.plan_id))).first())
