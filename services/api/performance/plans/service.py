"""Bonus plans and honour plans: create, list, read, replace, delete (same life cycle).

Each function takes the plan's kind (BONUS or HONOUR), which says how a request body
becomes a stored row and a row the API's answer; the rest is one code path for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from ...exceptions import NotFound
from ...pagination import Page
from ..params import next_cursor, page_after
from . import codec, repository
from .schemas import BonusPlanIn, BonusPlanOut, HonourPlanIn, HonourPlanOut

In = TypeVar("In", BonusPlanIn, HonourPlanIn)
Out = TypeVar("Out", BonusPlanOut, HonourPlanOut)


@dataclass(frozen=True, slots=True)
class PlanKind(Generic[In, Out]):
    name: str  # the repository's key: "bonus" | "honour"
    noun: str
    # The stored row of a validated plan; a 422 problem naming every defect otherwise.
    values: Callable[[In], dict[str, Any]]
    out: Callable[[Any], Out]


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


BONUS: PlanKind[BonusPlanIn, BonusPlanOut] = PlanKind(
    "bonus", "bonus plan", _bonus_values, codec.bonus_plan_out
)
HONOUR: PlanKind[HonourPlanIn, HonourPlanOut] = PlanKind(
    "honour", "honour plan", _honour_values, codec.honour_plan_out
)


def not_found(kind: PlanKind[Any, Any], plan_id: str) -> NotFound:
    return NotFound(f"{kind.noun} {plan_id!r} does not exist in this shop")


async def create_plan(
    *, session: AsyncSession, kind: PlanKind[In, Out], shop_id: str, body: In
) -> Out:
    values = kind.values(body)
    row = await repository.insert_plan(session, kind=kind.name, shop_id=shop_id, values=values)
    return kind.out(row)


async def fetch_plan_row(
    *, session: AsyncSession, kind: PlanKind[Any, Any], shop_id: str, plan_id: str
) -> Any:
    row = await repository.fetch_plan(session, kind=kind.name, shop_id=shop_id, plan_id=plan_id)
    if row is None:
        raise not_found(kind, plan_id)
    return row


async def get_plan(
    *, session: AsyncSession, kind: PlanKind[In, Out], shop_id: str, plan_id: str
) -> Out:
    return kind.out(
        await fetch_plan_row(session=session, kind=kind, shop_id=shop_id, plan_id=plan_id)
    )


async def list_plans(
    *, session: AsyncSession, kind: PlanKind[In, Out], shop_id: str, cursor: str | None, limit: int
) -> Page[Out]:
    rows = await repository.list_plans(
        session, kind=kind.name, shop_id=shop_id, after=page_after(cursor), limit=limit + 1
    )
    items = [kind.out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=next_cursor(rows, limit, "plan_id"))


async def replace_plan(
    *,
    session: AsyncSession,
    kind: PlanKind[In, Out],
    shop_id: str,
    plan_id: str,
    body: In,
) -> Out:
    # 404 before 422: another shop's id reveals nothing, not even the plan's validity.
    await fetch_plan_row(session=session, kind=kind, shop_id=shop_id, plan_id=plan_id)
    values = kind.values(body)
    row = await repository.replace_plan(
        session, kind=kind.name, shop_id=shop_id, plan_id=plan_id, values=values
    )
    if row is None:
        raise not_found(kind, plan_id)
    return kind.out(row)


async def delete_plan(
    *, session: AsyncSession, kind: PlanKind[Any, Any], shop_id: str, plan_id: str
) -> None:
    if not await repository.delete_plan(session, kind=kind.name, shop_id=shop_id, plan_id=plan_id):
        raise not_found(kind, plan_id)
