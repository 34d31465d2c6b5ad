"""Listing inquiries by status, newest day first, each with its review mark."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..links import transcript_url
from ..metrics.periods import check_optional_range
from ..pagination import Page, decode_cursor, page_of
from ..review_marks.schemas import MarkView
from . import repository
from .schemas import InquiryFilters, InquiryOut

_MARK = "mark_"


def _after(cursor: str | None) -> tuple[date, str, str] | None:
    if not cursor:
        return None
    day, buyer, agent = decode_cursor(cursor, str, str, str)
    try:
        return date.fromisoformat(str(day)), str(buyer), str(agent)
    except ValueError:
        return date.min, str(buyer), str(agent)


def inquiry_out(row: Any) -> InquiryOut:
    """A repository row (its mark as mark_* columns) as the list shows it."""
    fields = row._asdict()
    mark = {k.removeprefix(_MARK): fields.pop(k) for k in list(fields) if k.startswith(_MARK)}
    return InquiryOut(
        **{**fields, "order_ids": list(row.order_ids)},
        transcript_url=transcript_url(row.buyer_id, row.day, row.day),
        mark=None if mark["created_at"] is None else MarkView(**mark),
    )


async def list_inquiries(
    *, session: AsyncSession, filters: InquiryFilters, cursor: str | None, limit: int
) -> Page[InquiryOut]:
    check_optional_range(filters.start, filters.end)
    rows = await repository.list_inquiries(session, filters, after=_after(cursor), limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda r: [r.day.isoformat(), r.buyer_id, r.agent_id])
    return Page(items=[inquiry_out(r) for r in page], next_cursor=next_cursor)
