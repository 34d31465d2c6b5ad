"""/v1/violations as a file: every violation of the filters (no pages), newest day first."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..exports.columns import model_columns
from ..exports.report import Item, Report, range_label, rows_of, streamed
from ..metrics.periods import check_optional_range
from . import repository, service
from .schemas import ViolationFilters, ViolationOut

COLUMNS = model_columns(ViolationOut)


def violations_report(engine: AsyncEngine, filters: ViolationFilters) -> Report:
    check_optional_range(filters.start, filters.end)

    async def items(conn: AsyncConnection) -> AsyncIterator[Item]:
        async for row in repository.stream_violations(conn, filters):
            yield service.violation_out(row).model_dump()

    return Report(
        name=f"violations-{filters.rule or 'all'}",
        title_zh="质检违规",
        title_en="QA violations",
        period=range_label(filters.start, filters.end),
        columns=COLUMNS,
        rows=rows_of(COLUMNS, streamed(engine, items)),
    )
