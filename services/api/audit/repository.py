"""SQL for admin_audit: insert and read, nothing else (a trigger refuses UPDATE/DELETE)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import admin_audit


async def insert_entry(
    session: AsyncSession,
    *,
    shop_id: str,
    actor: str,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await session.execute(
        insert(admin_audit).values(
            shop_id=shop_id, actor=actor, action=action, target=target, before=before, after=after
        )
    )


async def fetch_entries(
    session: AsyncSession,
    *,
    shop_id: str | None,
    action: str | None,
    before_id: int | None,
    limit: int,
) -> list[Any]:
    """Newest first (audit_id order: one sequence for every shop)."""
    stmt = select(admin_audit).order_by(admin_audit.c.audit_id.desc()).limit(limit)
    if shop_id is not None:
        stmt = stmt.where(admin_audit.c.shop_id == shop_id)
    if action is not None:
        stmt = stmt.where(admin_audit.c.action == action)
    if before_id is not None:
        stmt = stmt.where(admin_audit.c.audit_id < before_id)
    return list((await session.execute(stmt)).all())
