"""/v1/violations as a file: every violation of the filters (no pages), newest day first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..exports.columns import model_columns
from ..exports.report import Item, Report, range_label, rows_of, streamed
from ..metrics.periods import check_optional_range
from . import repository, service
from .schemas import ViolationOut

COLUMNS = model_columns(ViolationOut)


def violations_report(
    engine: AsyncEngine,
    *,
    shop_id: str,
    rule: str | None,
    agent_id: str | None,
    start: date | None,
    end: date | None,
) -> Report:
    check_optional_range(start, end)

    async def items(conn: AsyncConnection) -> AsyncIterator[Item]:
        async for row in repository.stream_violations(
            conn, shop_id=shop_id, rule=rule, agent_id=agent_id, start=start, end=end
        ):
            yield service.violation_out(row).model_dump()

    return Report(
        name=f"violations-{rule or 'all'}",
        title_zh="质检违规",
        title_en="QA violations",
        period=range_label(start, end),
        columns=COLUMNS,
        rows=rows_of(COLUMNS, streamed(engine, items)),
    )
