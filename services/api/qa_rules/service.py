"""Reading and replacing a shop's QA rule overrides (shops.qa_rules).

The scoring core's QaRules parses what is stored, so it also validates what we store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.qa_rules import QaRules

from ..exceptions import NotFound, Unprocessable
from . import repository
from .schemas import QaRulesIn, QaRulesOut


def _parse(overrides: dict[str, Any]) -> QaRules:
    try:
        return QaRules.from_dict(overrides)
    except ValueError as exc:
        raise Unprocessable.field(["body"], str(exc)) from exc


def _out(rules: QaRules) -> QaRulesOut:
    return QaRulesOut(**rules.to_dict())


async def get_rules(*, session: AsyncSession, shop_id: str) -> QaRulesOut:
    stored = await repository.fetch_overrides(session, shop_id=shop_id)
    if stored is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    return _out(_parse(stored))


def overrides_of(body: QaRulesIn) -> dict[str, Any]:
    """Only what the caller set: later changes of the defaults still reach the rest."""
    return {
        rule: override.model_dump(exclude_unset=True, exclude_none=True)
        for rule, override in body
        if override is not None
    }


async def put_rules(*, session: AsyncSession, shop_id: str, body: QaRulesIn) -> QaRulesOut:
    overrides = overrides_of(body)
    rules = _parse(overrides)
    if not await repository.store_overrides(session, shop_id=shop_id, overrides=overrides):
        raise NotFound(f"shop {shop_id!r} does not exist")
    return _out(rules)
