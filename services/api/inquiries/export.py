"""/v1/inquiries as a file: every inquiry of the filters (no pages), newest day first.

The columns are InquiryOut's fields, labelled in services/api/exports/columns.py, with the
review mark (an object in the JSON) spread over columns of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..exports.columns import Column, field_column, model_columns
from ..exports.report import Item, Report, range_label, rows_of, streamed
from ..metrics.periods import check_optional_range
from . import repository, service
from .schemas import InquiryFilters, InquiryOut

COLUMNS: tuple[Column, ...] = (
    *model_columns(InquiryOut, exclude=("mark",)),
    field_column("mark.cause", label="mark_cause"),
    field_column("mark.note", label="mark_note"),
    field_column("mark.reviewed", "boolean", label="mark_reviewed"),
    field_column("mark.updated_at", "datetime", label="mark_updated_at"),
)


def inquiries_report(engine: AsyncEngine, filters: InquiryFilters) -> Report:
    check_optional_range(filters.start, filters.end)

    async def items(conn: AsyncConnection) -> AsyncIterator[Item]:
        async for row in repository.stream_inquiries(conn, filters):
            yield service.inquiry_out(row).model_dump()

    return Report(
        name=f"inquiries-{filters.status or 'all'}",
        title_zh="询单",
        title_en="inquiries",
        period=range_label(filters.start, filters.end),
        columns=COLUMNS,
        rows=rows_of(COLUMNS, streamed(engine, items)),
    )
