"""SQL of dead letters (the operator's view: every shop's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import dead_letters

_D = dead_letters.c
_COLUMNS = (
    _D.id,
    _D.shop_id,
    _D.reason,
    _D.detail,
    _D.event_id,
    _D.src_topic,
    _D.src_partition,
    _D.src_offset,
    _D.created_at,
    _D.replayed_at,
    _D.replay_result,
)


async def list_letters(
    session: AsyncSession,
    *,
    shop_id: str | None,
    reason: str | None,
    start: datetime | None,
    end: datetime | None,
    replayed: bool | None,
    before_id: int | None,
    limit: int,
) -> list[Any]:
    """Newest first; from/to bound created_at (from inclusive, to exclusive)."""
    stmt = select(*_COLUMNS)
    if shop_id is not None:
        stmt = stmt.where(_D.shop_id == shop_id)
    if reason is not None:
        stmt = stmt.where(_D.reason == reason)
    if start is not None:
        stmt = stmt.where(_D.created_at >= start)
    if end is not None:
        stmt = stmt.where(_D.created_at < end)
    if replayed is not None:
        stmt = stmt.where(_D.replayed_at.is_not(None) if replayed else _D.replayed_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(_D.id < before_id)
    return list((await session.execute(stmt.order_by(_D.id.desc()).limit(limit))).all())


async def fetch_letter(session: AsyncSession, *, letter_id: int) -> Any | None:
    """The letter with its original bytes (`raw`)."""
    stmt = select(*_COLUMNS, _D.raw).where(_D.id == letter_id)
    return (await session.execute(stmt)).one_or_none()
