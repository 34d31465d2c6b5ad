"""Browsing dead letters and replaying them once their cause is fixed."""

from __future__ import annotations

import base64
from dataclasses import asdict
from datetime import datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record, snapshot
from ..exceptions import NotFound
from ..pagination import Page, decode_cursor, page_of
from . import repository
from .schemas import DeadLetterDetail, DeadLetterOut, ReplayOut, ReplayRequest


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
) -> Page[DeadLetterOut]:
    """Newest first; from/to bound created_at (from inclusive, to exclusive)."""
    rows = await repository.list_letters(
        session,
        shop_id=shop_id,
        reason=reason,
        start=start,
        end=end,
        replayed=replayed,
        before_id=int(decode_cursor(cursor, int)[0]) if cursor else None,
        limit=limit + 1,
    )
    page, next_cursor = page_of(rows, limit, lambda r: [r.id])
    return Page(items=[DeadLetterOut(**r._asdict()) for r in page], next_cursor=next_cursor)


async def get_dead_letter(*, session: AsyncSession, letter_id: int) -> DeadLetterDetail:
    row = await repository.fetch_letter(session, letter_id=letter_id)
    if row is None:
        raise NotFound(f"dead letter {letter_id} does not exist")
    letter = row._asdict()
    raw = bytes(letter.pop("raw"))
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return DeadLetterDetail(**letter, raw_base64=base64.b64encode(raw).decode(), raw_text=text)


async def replay(
    *, session: AsyncSession, producer: AIOKafkaProducer, request: ReplayRequest, actor: str
) -> ReplayOut:
    # Imported here: ingest is another service; the API only needs it for this call.
    from services.ingest.replay import replay_dead_letters

    result = await replay_dead_letters(
        session=session,
        producer=producer,
        shop_id=request.shop_id,
        reasons=request.reasons,
        ids=request.ids,
    )
    out = ReplayOut(**asdict(result))
    if out.ids:  # nothing left to replay: nothing changed, nothing to record
        await record(
            session=session,
            actor=actor,
            action="dead_letters.replayed",
            shop_id=request.shop_id,
            target=f"shop/{request.shop_id}/dead-letters",
            before={"reasons": request.reasons, "ids": request.ids, "replayed": False},
            after={**snapshot(out), "replayed": True},
        )
    return out
