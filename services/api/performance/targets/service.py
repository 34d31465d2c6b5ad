"""Targets: store them, and show each with its attainment over agent_daily."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.metrics import decimal_text, shown
from domain.parts import AgentDayParts
from services.performance.errors import PeriodError, PlanProblem
from services.performance.periods import parse_period
from services.performance.targets import attainment, check_target, default_comparison
from shared import rollup_reader

from ...exceptions import Conflict, NotFound
from ...pagination import Page
from ..params import next_cursor, page_after, unprocessable
from . import repository
from .schemas import AttainmentOut, TargetIn, TargetOut, TargetPatch


def _check(body: TargetIn) -> str:
    problems = check_target(body.metric, body.comparison, body.value)
    try:
        period = parse_period(body.period).label
    except PeriodError as exc:
        problems.insert(0, PlanProblem("period", str(exc)))
        period = body.period
    if problems:
        raise unprocessable(problems)
    return period


async def _parts_for(
    session: AsyncSession, shop_id: str, rows: Sequence[Any]
) -> dict[tuple[str, str], AgentDayParts]:
    """(agent, period label) -> parts, one query per distinct period of the rows."""
    agents_by_period: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        agents_by_period[row.period].add(row.agent_id)
    out: dict[tuple[str, str], AgentDayParts] = {}
    for label, agent_ids in agents_by_period.items():
        period = parse_period(label)
        sums = await rollup_reader.parts_by_agent(
            session,
            shop_id=shop_id,
            start=period.first,
            end=period.last,
            agent_ids=sorted(agent_ids),
        )
        out.update({(agent, label): parts for agent, parts in sums.items()})
    return out


def _out(row: Any, parts: AgentDayParts | None) -> TargetOut:
    a = attainment(parts, row.metric, row.value, row.comparison)
    return TargetOut(
        id=row.target_id,
        agent_id=row.agent_id,
        period=row.period,
        metric=row.metric,
        comparison=row.comparison,
        value=decimal_text(row.value) or "0",
        attainment=AttainmentOut(
            value=shown(row.metric, a.value),
            target=decimal_text(a.target) or "0",
            ratio=None if a.ratio is None else float(a.ratio),
            met=a.met,
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _shown(session: AsyncSession, shop_id: str, rows: Sequence[Any]) -> list[TargetOut]:
    parts = await _parts_for(session, shop_id, rows)
    return [_out(r, parts.get((r.agent_id, r.period))) for r in rows]


async def create_target(*, session: AsyncSession, shop_id: str, body: TargetIn) -> TargetOut:
    period = _check(body)
    values = {
        "agent_id": body.agent_id,
        "period": period,
        "metric": body.metric,
        "comparison": body.comparison or default_comparison(body.metric),
        "value": body.value,
    }
    row = await repository.insert_target(session, shop_id=shop_id, values=values)
    if row is None:
        raise Conflict(
            f"agent {body.agent_id!r} already has a {body.metric} target for {period}; "
            "change that one (PATCH /v1/targets/{id}) or delete it first"
        )
    return (await _shown(session, shop_id, [row]))[0]


async def list_targets(
    *,
    session: AsyncSession,
    shop_id: str,
    filters: dict[str, str | None],
    cursor: str | None,
    limit: int,
) -> Page[TargetOut]:
    if filters.get("period") is not None:
        try:
            filters["period"] = parse_period(str(filters["period"])).label
        except PeriodError as exc:
            raise unprocessable([PlanProblem("period", str(exc))], root="query") from None
    rows = await repository.list_targets(
        session, shop_id=shop_id, filters=filters, after=page_after(cursor), limit=limit + 1
    )
    items = await _shown(session, shop_id, rows[:limit])
    return Page(items=items, next_cursor=next_cursor(rows, limit, "target_id"))


async def get_target(*, session: AsyncSession, shop_id: str, target_id: str) -> TargetOut:
    row = await repository.fetch_target(session, shop_id=shop_id, target_id=target_id)
    if row is None:
        raise NotFound(f"target {target_id!r} does not exist in this shop")
    return (await _shown(session, shop_id, [row]))[0]


async def patch_target(
    *, session: AsyncSession, shop_id: str, target_id: str, patch: TargetPatch
) -> TargetOut:
    values = patch.model_dump(exclude_unset=True, exclude_none=True)
    if "value" in values and not patch.value.is_finite():  # type: ignore[union-attr]
        raise unprocessable([PlanProblem("value", "value must be a finite number")])
    row = await repository.update_target(
        session, shop_id=shop_id, target_id=target_id, values=values
    )
    if row is None:
        raise NotFound(f"target {target_id!r} does not exist in this shop")
    return (await _shown(session, shop_id, [row]))[0]


async def delete_target(*, session: AsyncSession, shop_id: str, target_id: str) -> None:
    if not await repository.delete_target(session, shop_id=shop_id, target_id=target_id):
        raise NotFound(f"target {target_id!r} does not exist in this shop")
