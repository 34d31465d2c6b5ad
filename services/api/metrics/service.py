"""/v1/metrics: sums of the daily rollups per period and key, ratios from summed parts.

Every value comes from the metric catalogue's one evaluator (domain/metrics.py), the
same that plans, leaderboards and alerts compare: they can never disagree on a
definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain import metrics
from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import Spread
from shared import rollup_reader
from shared.rollup_reader import Executor, GroupBy

from .periods import Granularity, check_range

KEY_FIELD: dict[str, str | None] = {
    "agent": "agent_id",
    "group": "group",
    "mentor": "mentor_id",
    "shop": None,
}


def metric_row(
    period: str, key_field: str | None, key: Any, parts: AgentDayParts
) -> dict[str, Any]:
    row: dict[str, Any] = {"period": period}
    if key_field is not None:
        row[key_field] = key
    row.update(metrics.agent_row(parts))
    return row


def metrics_query(
    *,
    shop_id: str,
    start: date,
    end: date,
    granularity: Granularity,
    group_by: GroupBy,
    agent_ids: Sequence[str] | None = None,
    group: str | None = None,
) -> rollup_reader.AgentQuery:
    """The rollup query of a /v1/metrics request; 422 for an unusable range."""
    check_range(start, end)
    return rollup_reader.AgentQuery(
        shop_id=shop_id,
        start=start,
        end=end,
        granularity=granularity,
        group_by=group_by,
        agent_ids=agent_ids,
        group=group,
    )


async def metric_rows(
    *, session: Executor, query: rollup_reader.AgentQuery
) -> list[dict[str, Any]]:
    """Rows ordered by period then key. Shop rows add the shop-level order numbers, which
    are always the whole shop's (orders belong to no agent), filters or not."""
    key_field = KEY_FIELD[query.group_by]
    rows = [
        metric_row(period, key_field, key, parts)
        for period, key, parts in await rollup_reader.agent_sums(session, query)
    ]
    if query.group_by != "shop":
        return rows
    return _with_shop_numbers(
        rows,
        await rollup_reader.shop_sums(
            session,
            shop_id=query.shop_id,
            start=query.start,
            end=query.end,
            granularity=query.granularity,
        ),
    )


async def shop_rows_of(
    *,
    session: Executor,
    query: rollup_reader.AgentQuery,
    parts: Sequence[AgentDayParts],
    percentiles: bool = True,
) -> list[dict[str, Any]]:
    """metric_rows of `query` (granularity total, group_by shop, no agent or group filter)
    from the parts of its agents' rows already read (agent_sums with group_by agent):
    their sum is the shop row's agent part, its percentiles fetched for the summed
    spread, so the agent rows are not read a second time. Equal to metric_rows, except
    that without `percentiles` the response-time percentiles are null (not fetched)."""
    assert query.granularity == "total" and query.group_by == "shop"
    assert not query.agent_ids and query.group is None
    rows = []
    if parts:
        # Field by field in one pass, from the zeros + starts from (+ per row would also
        # copy the runs at every step).
        columns = zip(*(p.values() for p in parts), strict=True)
        totals: list[Any] = list(map(sum, columns, AgentDayParts().values()))
        summed = AgentDayParts(*totals)
        if percentiles:
            summed.spread = Spread.total(p.spread for p in parts if p.spread is not None)
            await rollup_reader.fetch_values(session, [summed.spread])
        rows.append(metric_row("total", None, None, summed))
    shop = await rollup_reader.shop_sums(
        session, shop_id=query.shop_id, start=query.start, end=query.end, granularity="total"
    )
    return _with_shop_numbers(rows, shop)


def _with_shop_numbers(
    rows: list[dict[str, Any]], shop: list[tuple[str, ShopDayParts]]
) -> list[dict[str, Any]]:
    """One row per period having either agent or shop numbers."""
    by_period = {row["period"]: row for row in rows}
    for period, parts in shop:
        row = by_period.get(period)
        if row is None:
            row = by_period[period] = metric_row(period, None, None, AgentDayParts())
        row.update(metrics.shop_row(parts))
    empty_shop = metrics.shop_row(ShopDayParts())
    for row in by_period.values():
        for name, value in empty_shop.items():
            row.setdefault(name, value)
    return [by_period[p] for p in sorted(by_period)]
