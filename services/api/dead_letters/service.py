"""Browsing dead letters and replaying them once their cause is fixed."""

from __future__ import annotations

import base64
from dataclasses import asdict
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import dead_letters

from ..exceptions import NotFound
from ..pagination import decode_cursor, page_of
from .schemas import ReplayRequest

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


async def list_dead_letters(
    *,
    session: AsyncSession,
    shop_id: str | None,
    reason: str | None,
    start: datetime | None,
    end: datetime | None,
    replayed: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
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
    if cursor:
        stmt = stmt.where(_D.id < decode_cursor(cursor, int)[0])
    rows = (await session.execute(stmt.order_by(_D.id.desc()).limit(limit + 1))).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.id])
    return [r._asdict() for r in page], next_cursor


async def get_dead_letter(*, session: AsyncSession, letter_id: int) -> dict[str, Any]:
    row = (await session.execute(select(*_COLUMNS, _D.raw).where(_D.id == letter_id))).one_or_none()
    if row is None:
        raise NotFound(f"dead letter {letter_id} does not exist")
    letter = row._asdict()
    raw = bytes(letter.pop("raw"))
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {**letter, "raw_base64": base64.b64encode(raw).decode(), "raw_text": text}


async def replay(
    *, session: AsyncSession, producer: AIOKafkaProducer, request: ReplayRequest
) -> dict[str, Any]:
    # Imported here: ingest is another service; the API only needs it for this call.
    from services.ingest.replay import replay_dead_letters

    result = await replay_dead_letters(
        session=session,
        producer=producer,
        shop_id=request.shop_id,
        reasons=request.reasons,
        ids=request.ids,
    )
    return asdict(result)
