"""The bad-review list (SPEC §11): service agent, review, transcript link, mark."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.days import local_day
from domain.review_work import Cause
from domain.settings import ShopSettings

from ..links import transcript_url
from ..metrics.periods import check_optional_range
from ..pagination import Page, decode_cursor, page_of
from ..review_marks.schemas import MarkView
from . import repository
from .schemas import BadReviewOut, ReviewOut

_MARK = "mark_"


def _after(cursor: str | None) -> tuple[date, str] | None:
    if not cursor:
        return None
    day, order_id = decode_cursor(cursor, str, str)
    try:
        return date.fromisoformat(str(day)), str(order_id)
    except ValueError:
        return date.min, str(order_id)


def settings_of(raw: dict[str, Any]) -> ShopSettings:
    try:
        return ShopSettings.from_dict(raw)
    except (TypeError, ValueError):
        return ShopSettings()


def bad_review_out(row: Any, settings: ShopSettings) -> BadReviewOut:
    """A repository row as the list shows it; the transcript runs from the local day
    aftersale_lookback days before placement to the review's day."""
    fields = row._asdict()
    mark = {k.removeprefix(_MARK): fields[k] for k in fields if k.startswith(_MARK)}
    lookback = timedelta(days=settings.aftersale_lookback_days)
    since = local_day(row.placed_at - lookback, settings.timezone)
    dsr = {
        key: value
        for key, value in (
            ("item", row.dsr_item),
            ("service", row.dsr_service),
            ("logistics", row.dsr_logistics),
        )
        if value is not None
    }
    return BadReviewOut(
        order_id=row.order_id,
        buyer_id=row.buyer_id,
        placed_at=row.placed_at,
        agent_id=row.agent_id,
        inquiry_day=row.inquiry_day,
        review=ReviewOut(
            event_id=row.event_id,
            posted_at=row.posted_at,
            day=row.day,
            rating=row.rating,
            text=row.text,
            dsr=dsr,
        ),
        transcript_url=transcript_url(row.buyer_id, since, row.day),
        mark=None if mark["created_at"] is None else MarkView(**mark),
    )


async def list_bad_reviews(
    *,
    session: AsyncSession,
    shop_id: str,
    start: date | None,
    end: date | None,
    agent_id: str | None,
    cause: Cause | None,
    reviewed: bool | None,
    cursor: str | None,
    limit: int,
) -> Page[BadReviewOut]:
    check_optional_range(start, end)
    settings = settings_of(await repository.shop_settings(session, shop_id))
    rows = await repository.list_bad_reviews(
        session,
        shop_id=shop_id,
        start=start,
        end=end,
        agent_id=agent_id,
        cause=cause,
        reviewed=reviewed,
        after=_after(cursor),
        limit=limit + 1,
    )
    page, next_cursor = page_of(rows, limit, lambda r: [r.day.isoformat(), r.order_id])
    return Page(items=[bad_review_out(r, settings) for r in page], next_cursor=next_cursor)
