"""/v1/bad-reviews as a file: every bad review of the filters (no pages), newest first.

The review and the mark (objects in the JSON) are spread over columns of their own, the
DSR scores one column per key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.review_work import Cause

from ..exports.columns import Column, field_column
from ..exports.report import Item, Report, range_label, rows_of, streamed
from ..metrics.periods import check_optional_range
from . import repository, service

COLUMNS: tuple[Column, ...] = (
    field_column("review.day", "date", label="review_day"),
    field_column("order_id"),
    field_column("buyer_id"),
    field_column("placed_at", "datetime"),
    field_column("agent_id"),
    field_column("inquiry_day", "date"),
    field_column("review.event_id", label="review_event_id"),
    field_column("review.posted_at", "datetime", label="posted_at"),
    field_column("review.rating", label="rating"),
    field_column("review.text", label="review_text"),
    *(field_column(f"dsr_{key}", "integer") for key in ("item", "service", "logistics")),
    field_column("transcript_url"),
    field_column("mark.cause", label="bad_review_cause"),
    field_column("mark.note", label="mark_note"),
    field_column("mark.reviewed", "boolean", label="mark_reviewed"),
    field_column("mark.updated_at", "datetime", label="mark_updated_at"),
)


def _flat(item: dict[str, Any]) -> dict[str, Any]:
    dsr = item["review"]["dsr"]
    return {**item, **{f"dsr_{k}": dsr.get(k) for k in ("item", "service", "logistics")}}


def bad_reviews_report(
    engine: AsyncEngine,
    *,
    shop_id: str,
    start: date | None,
    end: date | None,
    agent_id: str | None,
    cause: Cause | None = None,
    reviewed: bool | None = None,
) -> Report:
    check_optional_range(start, end)

    async def items(conn: AsyncConnection) -> AsyncIterator[Item]:
        settings = service.settings_of(await repository.shop_settings(conn, shop_id))
        async for row in repository.stream_bad_reviews(
            conn,
            shop_id=shop_id,
            start=start,
            end=end,
            agent_id=agent_id,
            cause=cause,
            reviewed=reviewed,
        ):
            yield _flat(service.bad_review_out(row, settings).model_dump())

    return Report(
        name="bad-reviews",
        title_zh="差评",
        title_en="bad reviews",
        period=range_label(start, end),
        columns=COLUMNS,
        rows=rows_of(COLUMNS, streamed(engine, items)),
    )
