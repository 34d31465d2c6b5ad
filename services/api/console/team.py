"""The team page's numbers: /v1/metrics' own rows (services/api/metrics/service.py over
shared/rollup_reader.py and domain/metrics.py), so that every value equals the API's."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalogue import CATALOGUE, Metric
from domain.comparisons import holds
from domain.formulas import Percentile
from domain.metrics import ROW_METRICS
from domain.parts import AgentDayParts
from shared import rollup_reader
from shared.schema import agent_daily, agents, targets

from ..metrics.service import metric_row, metric_rows, metrics_query, shop_rows_of
from . import sparkline
from .cache import NumbersCache, NumbersKey

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

    def cells(self, show: Callable[[Metric, Any], str]) -> Markup:
        """The row's <td> of every row metric, in catalogue order: the exact /v1/metrics
        value in data-value, the formatted one as text, met/missed as class. Built here
        rather than in the template: 200 agents × 42 metrics are 8 400 cells a page, so
        each costs a few steps only (where the value is, found once per metric; text
        escaped only when it holds a character HTML needs escaped)."""
        row, violations, verdicts = self.row, self.row.get("violations", {}), self.verdicts
        out = []
        for metric, name, rule in _CELLS:
            value = violations[rule] if rule is not None else row.get(name)
            data = "" if value is None else _html(str(value))
            verdict = verdicts.get(name, "")
            out.append(
                f'<td data-metric="{name}" data-value="{data}" class="num {verdict}">'
                f"{_html(show(metric, value))}</td>"
            )
        return Markup("".join(out))


# Every row metric: (metric, name, its rule when the value is inside `violations`).
_CELLS = tuple(
    (m, m.name, m.name.removeprefix("violations.") if m.in_rows == "violations" else None)
    for m in ROW_METRICS
)
_NEEDS_ESCAPE = re.compile("[&<>\"']").search


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
    session: AsyncSession, shop_id: str, end: date, agent_ids: list[str]
) -> dict[str, list[float | None]]:
    """These agents' inquiry conversion on the SPARK_DAYS days ending at `end`: agent_daily
    holds one row per agent and day, so a day's parts are its row's (no sums needed);
    the value is the catalogue's formula over them, as /v1/metrics reads it."""
    start = end - timedelta(days=SPARK_DAYS - 1)
    formula = CATALOGUE["inquiry_conversion_rate"].formula
    d = agent_daily.c
    stmt = select(d.agent_id, d.day, *(d[name] for name in formula.parts)).where(
        d.shop_id == shop_id, d.day >= start, d.day <= end
    )
    if not agent_ids:
        return {}
    stmt = stmt.where(d.agent_id.in_(agent_ids))
    series: dict[str, list[float | None]] = defaultdict(lambda: [None] * SPARK_DAYS)
    for row in await session.execute(stmt):
        parts = AgentDayParts(**{name: getattr(row, name) for name in formula.parts})
        series[row.agent_id][(row.day - start).days] = formula.nearest(parts)
    return series


@dataclass(frozen=True, slots=True)
class Numbers:
    """What the team page shows that comes from the rollups (cacheable by version)."""

    rows: list[dict[str, Any]]
    shop: dict[str, Any]
    spark: dict[str, list[float | None]]


async def numbers(
    session: AsyncSession, *, shop_id: str, start: date, end: date, group: str | None
) -> Numbers:
    asked: dict[str, Any] = {"shop_id": shop_id, "start": start, "end": end}
    agent_query = metrics_query(**asked, granularity="total", group_by="agent", group=group)
    shop_query = metrics_query(**asked, granularity="total", group_by="shop")
    sums = await rollup_reader.agent_sums(session, agent_query)
    rows = [metric_row(period, "agent_id", key, parts) for period, key, parts in sums]
    if group is None:  # the shop row sums the very rows just read: not read again
        shop_rows = await shop_rows_of(
            session=session,
            query=shop_query,
            parts=[parts for _, _, parts in sums],
            percentiles=_HEADER_PERCENTILES,  # nothing else shows the shop row's
        )
    else:  # the shop row is the whole shop's, not the group's
        shop_rows = await metric_rows(session=session, query=shop_query)
    spark = await daily_conversion(session, shop_id, end, [r["agent_id"] for r in rows])
    return Numbers(rows, shop_rows[0] if shop_rows else {}, dict(spark))


async def team(
    session: AsyncSession,
    *,
    shop_id: str,
    start: date,
    end: date,
    group: str | None,
    target_label: str | None,
    cache: NumbersCache | None = None,
) -> Team:
    async def compute() -> Numbers:
        return await numbers(session, shop_id=shop_id, start=start, end=end, group=group)

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
                sparkline.points(found.spark.get(agent_id, [])),
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
