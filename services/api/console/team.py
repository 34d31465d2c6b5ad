"""The team page's numbers: /v1/metrics' own rows (services/api/metrics/service.py over
shared/rollup_reader.py and domain/metrics.py), so that every value equals the API's."""

from __future__ import annotations

import asyncio
import re
from collections import namedtuple
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ARRAY, Text, any_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import QueuePool

from domain.catalogue import CATALOGUE, Metric
from domain.comparisons import holds
from domain.formulas import Percentile
from domain.metrics import ROW_METRICS
from shared import rollup_reader
from shared.rollup_reader import AgentRow, Executor
from shared.schema import agent_daily, agents, targets

from ..metrics.service import metric_row, metric_rows, metrics_query, shop_rows_of
from . import sparkline
from .cache import NumbersCache, NumbersKey
from .formatting import EMPTY, Lang, formatter

SPARK_DAYS = 14
HEADER_METRICS = ("sales_total", "cs_sales_share", "silent_orders", "lost_inquiries")


def value_of(row: dict[str, Any], metric: Metric) -> Any:
    """A metric's value in a /v1/metrics row (violations.<rule> inside `violations`)."""
    if metric.in_rows == "violations":
        return row["violations"][metric.name.removeprefix("violations.")]
    return row.get(metric.name)


@dataclass
class AgentLine:
    agent_id: str
    name: str
    group: str | None
    row: dict[str, Any]
    spark: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)  # metric -> met | missed

    def cells(self, formats: CellFormats) -> Markup:
        """The row's <td> of every row metric, in catalogue order: the exact /v1/metrics
        value in data-value, the formatted one as text, met/missed as class. Built here
        rather than in the template: 200 agents × 42 metrics are 8 400 cells a page, so
        each costs a few steps only (where the value is and how it reads, found once per
        metric: `formats`; text escaped only where it can hold a character HTML escapes,
        and then only when it does)."""
        row, violations, verdicts = self.row, self.row.get("violations", {}), self.verdicts
        out = []
        for (start, name, rule), (text_of, escaped) in zip(_CELLS, formats, strict=True):
            value = violations[rule] if rule is not None else row.get(name)
            if value is None:
                data, text = "", EMPTY
            else:
                # Counts and ratios are ints and floats (their text is digits); money is
                # a decimal string, which is checked all the same.
                data = _html(value) if type(value) is str else str(value)
                text = _html(text_of(value)) if escaped else text_of(value)
            out.append(f'{start}{data}" class="num {verdicts.get(name, "")}">{text}</td>')
        return Markup("".join(out))


# Every row metric: (the start of its cell, its name, its rule when the value is inside
# `violations`).
_CELLS = tuple(
    (
        f'<td data-metric="{m.name}" data-value="',
        m.name,
        m.name.removeprefix("violations.") if m.in_rows == "violations" else None,
    )
    for m in ROW_METRICS
)
_NEEDS_ESCAPE = re.compile("[&<>\"']").search
# Per row metric (in _CELLS order): how its known values read, and whether that text
# can hold a character HTML escapes (money: the currency's sign or code).
CellFormats = tuple[tuple[Callable[[Any], str], bool], ...]


def cell_formats(lang: Lang, currency: str) -> CellFormats:
    return tuple(
        (formatter(m, lang, currency), m.kind == "money" or m.unit == "currency")
        for m in ROW_METRICS
    )


def _html(text: str) -> str:
    return str(escape(text)) if _NEEDS_ESCAPE(text) else text


@dataclass
class Team:
    lines: list[AgentLine]
    shop: dict[str, Any]
    groups: list[str]


async def agent_names(session: AsyncSession, shop_id: str) -> dict[str, tuple[str, str | None]]:
    c = agents.c
    rows = await session.execute(
        select(c.agent_id, c.display_name, c.group_name).where(c.shop_id == shop_id)
    )
    return {r.agent_id: (r.display_name or r.agent_id, r.group_name) for r in rows}


async def target_map(
    session: AsyncSession, shop_id: str, label: str | None
) -> dict[tuple[str, str], tuple[str, Decimal]]:
    if label is None:
        return {}
    c = targets.c
    rows = await session.execute(
        select(c.agent_id, c.metric, c.comparison, c.value).where(
            c.shop_id == shop_id, c.period == label
        )
    )
    return {(r.agent_id, r.metric): (r.comparison, Decimal(r.value)) for r in rows}


def verdicts(
    agent_id: str, row: dict[str, Any], goals: dict[tuple[str, str], tuple[str, Decimal]]
) -> dict[str, str]:
    out: dict[str, str] = {}
    if not goals:
        return out
    for metric in ROW_METRICS:
        goal = goals.get((agent_id, metric.name))
        value = value_of(row, metric)
        if goal is not None and value is not None:
            met = holds(Decimal(str(value)), goal[0], goal[1])
            out[metric.name] = "met" if met else "missed"
    return out


async def daily_conversion(
    executor: Executor, shop_id: str, end: date, agent_ids: list[str]
) -> dict[str, list[float | None]]:
    """These agents' inquiry conversion on the SPARK_DAYS days ending at `end`: agent_daily
    holds one row per agent and day, so a day's parts are its row's (no sums needed);
    the value is the catalogue's formula over them, as /v1/metrics reads it. One row
    per agent, its days and parts as arrays: no row object nor parts object per day."""
    if not agent_ids:
        return {}
    start = end - timedelta(days=SPARK_DAYS - 1)
    d = agent_daily.c
    stmt = (
        select(d.agent_id, func.array_agg(d.day), *(func.array_agg(d[n]) for n in _SPARK.parts))
        .where(
            d.shop_id == shop_id,
            d.day >= start,
            d.day <= end,
            d.agent_id == any_(bindparam("agent_ids", type_=ARRAY(Text))),
        )
        .group_by(d.agent_id)
    )
    series: dict[str, list[float | None]] = {}
    nearest, day_parts = _SPARK.nearest, _SparkParts._make
    for agent_id, days, *columns in await executor.execute(stmt, {"agent_ids": agent_ids}):
        line: list[float | None] = [None] * SPARK_DAYS
        for day, values in zip(days, zip(*columns, strict=True), strict=True):
            line[(day - start).days] = nearest(day_parts(values))
        series[agent_id] = line
    return series


_SPARK = CATALOGUE["inquiry_conversion_rate"].formula
# One agent-day's parts as the sparkline's formula reads them (by name).
_SparkParts = namedtuple("_SparkParts", _SPARK.parts)  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class Numbers:
    """What the team page shows that comes from the rollups (cacheable by version)."""

    rows: list[dict[str, Any]]
    shop: dict[str, Any]
    spark: dict[str, str]  # agent -> its sparkline's points


async def numbers(
    session: AsyncSession,
    *,
    shop_id: str,
    start: date,
    end: date,
    group: str | None,
    beside: AsyncConnection | None = None,
) -> Numbers:
    """`beside`: a second connection that reads the sums, the sparklines' days and the
    shop's numbers while the session reads the response times (docs/console.md)."""
    asked: dict[str, Any] = {"shop_id": shop_id, "start": start, "end": end}
    agent_query = metrics_query(**asked, granularity="total", group_by="agent", group=group)
    shop_query = metrics_query(**asked, granularity="total", group_by="shop")

    async def besides(executor: Executor) -> tuple[list[AgentRow], dict[str, str], Rows | None]:
        """What does not wait for the response times: the agents' sums, their
        sparklines and the shop row (unless it shows a percentile)."""
        sums = await rollup_reader.sum_rows(executor, agent_query)
        days = await daily_conversion(executor, shop_id, end, [key for _, key, _ in sums])
        points = {agent: sparkline.points(line) for agent, line in days.items()}
        if group is not None:  # the shop row is the whole shop's, not the group's
            return sums, points, await metric_rows(session=executor, query=shop_query)
        if _HEADER_PERCENTILES:  # the rows' spreads summed, once they are read
            return sums, points, None
        # the sum of the very rows just read (not read again); nothing shows its
        # percentiles
        parts = [parts for _, _, parts in sums]
        whole = await shop_rows_of(
            session=executor, query=shop_query, parts=parts, percentiles=False
        )
        return sums, points, whole

    if beside is None:
        sums, points, whole = await besides(session)
        times = await rollup_reader.spreads(session, agent_query)
    else:
        read_beside = asyncio.ensure_future(besides(beside))
        try:
            times = await rollup_reader.histograms(session, agent_query)
            # Half of the values on the second connection if it is done with its own
            # reads (one connection serves one task at a time), else all on the session.
            free = beside if read_beside.done() else None
            await rollup_reader.fetch_values(session, times.values(), beside=free)
        finally:
            sums, points, whole = await read_beside
    rollup_reader.with_spreads(sums, times)
    rows = [metric_row(period, "agent_id", key, parts) for period, key, parts in sums]
    if whole is None:
        parts = [parts for _, _, parts in sums]
        whole = await shop_rows_of(session=session, query=shop_query, parts=parts)
    return Numbers(rows, whole[0] if whole else {}, points)


Rows = list[dict[str, Any]]


@asynccontextmanager
async def spare_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection | None]:
    """A second connection of the pool for `numbers`, or None when taking one would go
    beyond the pool's size (under load: then it would open a backend, or wait for one,
    and the session reads everything one statement after another)."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool) or pool.checkedout() >= pool.size():
        yield None
        return
    async with engine.connect() as conn:
        yield conn


async def team(
    session: AsyncSession,
    *,
    shop_id: str,
    start: date,
    end: date,
    group: str | None,
    target_label: str | None,
    cache: NumbersCache | None = None,
    engine: AsyncEngine | None = None,
) -> Team:
    """`engine`: the session's, for a second connection when the numbers are read."""

    async def compute() -> Numbers:
        if engine is None:
            return await numbers(session, shop_id=shop_id, start=start, end=end, group=group)
        async with spare_connection(engine) as beside:
            return await numbers(
                session, shop_id=shop_id, start=start, end=end, group=group, beside=beside
            )

    if cache is None:
        found = await compute()
    else:
        key = NumbersKey(shop_id, start, end, group)
        found = await cache.get_or_compute(session, key, compute)
    names = await agent_names(session, shop_id)
    goals = await target_map(session, shop_id, target_label)
    lines = []
    for row in found.rows:
        agent_id = row["agent_id"]
        name, grp = names.get(agent_id, (agent_id, None))
        lines.append(
            AgentLine(
                agent_id,
                name,
                grp,
                row,
                found.spark.get(agent_id, ""),
                verdicts(agent_id, row, goals),
            )
        )
    groups = sorted({g for _, g in names.values() if g})
    return Team(lines, found.shop, groups)


def sort_lines(lines: list[AgentLine], key: str | None, descending: bool) -> list[AgentLine]:
    """By a metric's value (unknown ones last whatever the direction), else by agent."""
    metric = next((m for m in ROW_METRICS if m.name == key), None)
    if metric is None:
        return sorted(lines, key=lambda line: line.agent_id, reverse=descending)
    known = [line for line in lines if value_of(line.row, metric) is not None]
    unknown = [line for line in lines if value_of(line.row, metric) is None]
    known.sort(key=lambda line: Decimal(str(value_of(line.row, metric))), reverse=descending)
    return known + unknown


SHOP_HEADER: tuple[Metric, ...] = tuple(CATALOGUE[name] for name in HEADER_METRICS)
# Whether the header shows a response-time percentile of the shop row (then its values
# are fetched; else the row's percentiles are left null, as nothing shows them).
_HEADER_PERCENTILES = any(isinstance(m.formula, Percentile) for m in SHOP_HEADER)
