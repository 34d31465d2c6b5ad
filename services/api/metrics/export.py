"""/v1/metrics as a file: the same rows, a column per metric of the catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.metrics import summed_row_values
from shared import rollup_reader
from shared.rollup_reader import AgentQuery

from ..exports.columns import field_column, row_metric_columns
from ..exports.report import Item, Report, Row, rows_of, streamed
from . import service


async def _agent_rows(conn: AsyncConnection, query: AgentQuery) -> AsyncIterator[Row]:
    """(period, key, every metric) as the database sends the sums: the row /v1/metrics
    shows, flat, without building its dict or the row's parts."""
    async for sums, spread in rollup_reader.stream_agent_rows(conn, query):
        yield summed_row_values(sums, spread)


async def _shop_rows(conn: AsyncConnection, query: AgentQuery) -> AsyncIterator[Item]:
    for row in await service.metric_rows(session=conn, query=query):
        yield row  # one per period: a few hundred at most


def metrics_report(engine: AsyncEngine, query: AgentQuery) -> Report:
    key_field = service.KEY_FIELD[query.group_by]
    if key_field is None:
        columns = (field_column("period"), *row_metric_columns(shop=True))
        rows = rows_of(columns, streamed(engine, lambda conn: _shop_rows(conn, query)))
    else:
        columns = (field_column("period"), field_column(key_field), *row_metric_columns())
        rows = streamed(engine, lambda conn: _agent_rows(conn, query))
    return Report(
        name=f"metrics-{query.granularity}-{query.group_by}",
        title_zh="客服绩效指标",
        title_en="metrics",
        period=f"{query.start}_{query.end}",
        columns=columns,
        rows=rows,
    )
