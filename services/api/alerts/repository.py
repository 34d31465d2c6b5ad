"""SQL of alert rules and their state: every statement scoped by shop_id, so another
shop's rule is simply not found (404)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import alert_rules, alert_state


async def insert_rule(session: AsyncSession, *, shop_id: str, columns: dict[str, Any]) -> Row[Any]:
    stmt = (
        insert(alert_rules)
        .values(shop_id=shop_id, rule_id="alr_" + secrets.token_hex(8), **columns)
        .returning(*alert_rules.c)
    )
    return (await session.execute(stmt)).one()


async def fetch_rule(session: AsyncSession, *, shop_id: str, rule_id: str) -> Row[Any] | None:
    stmt = select(alert_rules).where(
        alert_rules.c.shop_id == shop_id, alert_rules.c.rule_id == rule_id
    )
    return (await session.execute(stmt)).one_or_none()


async def fetch_states(session: AsyncSession, *, shop_id: str, rule_id: str) -> list[Row[Any]]:
    stmt = (
        select(alert_state)
        .where(alert_state.c.shop_id == shop_id, alert_state.c.rule_id == rule_id)
        .order_by(alert_state.c.scope_key)
    )
    return list((await session.execute(stmt)).all())


async def list_rules(
    session: AsyncSession, *, shop_id: str, after: str | None, limit: int
) -> list[Row[Any]]:
    stmt = select(alert_rules).where(alert_rules.c.shop_id == shop_id)
    if after is not None:
        stmt = stmt.where(alert_rules.c.rule_id > after)
    return list((await session.execute(stmt.order_by(alert_rules.c.rule_id).limit(limit))).all())


async def update_rule(
    session: AsyncSession, *, shop_id: str, rule_id: str, columns: dict[str, Any]
) -> None:
    await session.execute(
        update(alert_rules)
        .where(alert_rules.c.shop_id == shop_id, alert_rules.c.rule_id == rule_id)
        .values(**columns, updated_at=func.now())
    )


async def delete_rule(session: AsyncSession, *, shop_id: str, rule_id: str) -> None:
    """The rule and its state."""
    await session.execute(
        delete(alert_state).where(
            alert_state.c.shop_id == shop_id, alert_state.c.rule_id == rule_id
        )
    )
    await session.execute(
        delete(alert_rules).where(
            alert_rules.c.shop_id == shop_id, alert_rules.c.rule_id == rule_id
        )
    )
