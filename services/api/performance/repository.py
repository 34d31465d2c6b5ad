"""SQL for targets, bonus plans and honour plans: every statement is scoped by shop_id, so
another shop's object is simply not found (404)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import bonus_plans, honour_plans, targets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


# --- targets ----------------------------------------------------------------------------


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


# --- plans (bonus_plans, honour_plans: same keys and life cycle) ------------------------

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
