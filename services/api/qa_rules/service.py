"""Reading and replacing a shop's QA rule overrides (shops.qa_rules).

The scoring core's QaRules parses what is stored, so it also validates what we store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.qa_rules import QaRules
from shared.schema import shops

from ..exceptions import NotFound, Unprocessable
from .schemas import QaRulesIn


def _parse(overrides: dict[str, Any]) -> QaRules:
    try:
        return QaRules.from_dict(overrides)
    except ValueError as exc:
        raise Unprocessable.field(["body"], str(exc)) from exc


async def get_rules(*, session: AsyncSession, shop_id: str) -> dict[str, Any]:
    stored = await session.scalar(select(shops.c.qa_rules).where(shops.c.shop_id == shop_id))
    if stored is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    return _parse(dict(stored)).to_dict()


def overrides_of(body: QaRulesIn) -> dict[str, Any]:
    """Only what the caller set: later changes of the defaults still reach the rest."""
    return {
        rule: override.model_dump(exclude_unset=True, exclude_none=True)
        for rule, override in body
        if override is not None
    }


async def put_rules(*, session: AsyncSession, shop_id: str, body: QaRulesIn) -> dict[str, Any]:
    overrides = overrides_of(body)
    rules = _parse(overrides)
    result = await session.execute(
        update(shops)
        .where(shops.c.shop_id == shop_id)
        .values(qa_rules=overrides, updated_at=func.now())
        .returning(shops.c.shop_id)
    )
    if result.one_or_none() is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    return rules.to_dict()
