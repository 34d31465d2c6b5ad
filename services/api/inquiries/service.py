"""Listing inquiries by status, newest day first."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from ..links import transcript_url
from ..metrics.periods import check_range
from ..pagination import Page, decode_cursor, page_of
from . import repository
from .schemas import InquiryOut, InquiryStatus


def _after(cursor: str | None) -> tuple[date, str, str] | None:
    if not cursor:
        return None
    day, buyer, agent = decode_cursor(cursor, str, str, str)
    try:
        return date.fromisoformat(str(day)), str(buyer), str(agent)
    except ValueError:
        return date.min, str(buyer), str(agent)


async def list_inquiries(
    *,
    session: AsyncSession,
    shop_id: str,
    status: InquiryStatus | None,
    start: date | None,
    end: date | None,
    agent_id: str | None,
    cursor: str | None,
    limit: int,
) -> Page[InquiryOut]:
    if start is not None and end is not None:
        check_range(start, end)
    rows = await repository.list_inquiries(
        session,
        shop_id=shop_id,
        status=status,
        start=start,
        end=end,
        agent_id=agent_id,
        after=_after(cursor),
        limit=limit + 1,
    )
    page, next_cursor = page_of(rows, limit, lambda r: [r.day.isoformat(), r.buyer_id, r.agent_id])
    items = [
        InquiryOut(
            **{**r._asdict(), "order_ids": list(r.order_ids)},
            transcript_url=transcript_url(r.buyer_id, r.day, r.day),
        )
        for r in page
    ]
    return Page(items=items, next_cursor=next_cursor)
