"""Listing QA violations, newest day first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..exceptions import Unprocessable
from ..links import transcript_url
from ..metrics.periods import check_optional_range
from ..pagination import Page, decode_cursor, page_of
from . import repository
from .schemas import ViolationFilters, ViolationOut


def _after(cursor: str | None) -> repository.After | None:
    if not cursor:
        return None
    day, buyer, agent, started, seq = decode_cursor(cursor, str, str, str, str, int)
    try:
        return date.fromisoformat(day), buyer, agent, datetime.fromisoformat(started), seq
    except ValueError:
        raise Unprocessable.field(
            ["query", "cursor"], "cursor is not one this API returned"
        ) from None


def violation_out(row: Any) -> ViolationOut:
    return ViolationOut(
        **row._asdict(), transcript_url=transcript_url(row.buyer_id, row.day, row.day)
    )


async def list_violations(
    *, session: AsyncSession, filters: ViolationFilters, cursor: str | None, limit: int
) -> Page[ViolationOut]:
    check_optional_range(filters.start, filters.end)
    rows = await repository.list_violations(session, filters, after=_after(cursor), limit=limit + 1)
    page, next_cursor = page_of(
        rows,
        limit,
        lambda r: [
            r.day.isoformat(),
            r.buyer_id,
            r.agent_id,
            r.session_started_at.isoformat(),
            r.seq,
        ],
    )
    return Page(items=[violation_out(r) for r in page], next_cursor=next_cursor)
