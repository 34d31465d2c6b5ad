"""Bonus plans and honour plans: create, list, read, replace, delete (same life cycle)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..exceptions import NotFound
from . import codec, repository
from .bonus_schemas import BonusPlanIn
from .honour_schemas import HonourPlanIn

_NOUN = {"bonus": "bonus plan", "honour": "honour plan"}


def _bonus_values(body: BonusPlanIn) -> dict[str, Any]:
    plan = codec.bonus_plan(body)
    return {
        "name": body.name,
        "metric": plan.metric,
        "period": plan.period,
        "definition": codec.bonus_definition(plan),
    }


def _honour_values(body: HonourPlanIn) -> dict[str, Any]:
    plan = codec.honour_plan(body)
    return {"name": body.name, "period": plan.period, "levels": codec.honour_levels_json(plan)}


def values_of(kind: str, body: BonusPlanIn | HonourPlanIn) -> dict[str, Any]:
    """The row of a validated plan; 422 problem+json naming every defect otherwise."""
    if isinstance(body, BonusPlanIn):
        return _bonus_values(body)
    return _honour_values(body)


_OUT: dict[str, Callable[[Any], dict[str, Any]]] = {
    "bonus": codec.bonus_plan_out,
    "honour": codec.honour_plan_out,
}


def not_found(kind: str, plan_id: str) -> NotFound:
    return NotFound(f"{_NOUN[kind]} {plan_id!r} does not exist in this shop")


async def create_plan(
    *, session: AsyncSession, kind: str, shop_id: str, body: BonusPlanIn | HonourPlanIn
) -> dict[str, Any]:
    values = values_of(kind, body)
    row = await repository.insert_plan(session, kind=kind, shop_id=shop_id, values=values)
    return _OUT[kind](row)


async def fetch_plan_row(*, session: AsyncSession, kind: str, shop_id: str, plan_id: str) -> Any:
    row = await repository.fetch_plan(session, kind=kind, shop_id=shop_id, plan_id=plan_id)
    if row is None:
        raise not_found(kind, plan_id)
    return row


async def get_plan(
    *, session: AsyncSession, kind: str, shop_id: str, plan_id: str
) -> dict[str, Any]:
    row = await fetch_plan_row(session=session, kind=kind, shop_id=shop_id, plan_id=plan_id)
    return _OUT[kind](row)


async def list_plans(
    *, session: AsyncSession, kind: str, shop_id: str, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    rows = await repository.list_plans(
        session, kind=kind, shop_id=shop_id, after=codec.page_after(cursor), limit=limit + 1
    )
    return [_OUT[kind](r) for r in rows[:limit]], codec.next_cursor(rows, limit, "plan_id")


async def replace_plan(
    *,
    session: AsyncSession,
    kind: str,
    shop_id: str,
    plan_id: str,
    body: BonusPlanIn | HonourPlanIn,
) -> dict[str, Any]:
    # 404 before 422: another shop's id reveals nothing, not even the plan's validity.
    await fetch_plan_row(session=session, kind=kind, shop_id=shop_id, plan_id=plan_id)
    values = values_of(kind, body)
    row = await repository.replace_plan(
        session, kind=kind, shop_id=shop_id, plan_id=plan_id, values=values
    )
    if row is None:
        raise not_found(kind, plan_id)
    return _OUT[kind](row)


async def delete_plan(*, session: AsyncSession, kind: str, shop_id: str, plan_id: str) -> None:
    if not await repository.delete_plan(session, kind=kind, shop_id=shop_id, plan_id=plan_id):
        raise not_found(kind, plan_id)
