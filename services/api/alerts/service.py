"""Alert rules of a shop: CRUD, validated by the alert core's own rule model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts import store
from services.alerts.rules import AlertRule

from ..exceptions import NotFound, Unprocessable
from ..pagination import Page, decode_cursor, page_of
from . import repository
from .schemas import AlertRuleDetail, AlertRuleIn, AlertRuleOut, AlertRulePatch, AlertStateOut

# API name → column name; everything else is the same.
_COLUMNS = {"window": "time_window"}


def _checked(columns: Mapping[str, Any]) -> AlertRule:
    """The rule the columns make, as the evaluation will read it; else a 422."""
    try:
        return store.rule_of(columns)
    except ValueError as exc:
        raise Unprocessable.field(["body"], str(exc)) from exc


def _out(row: Any) -> AlertRuleOut:
    return AlertRuleOut(
        rule_id=row.rule_id,
        name=row.name,
        scope=row.scope,
        agent_id=row.agent_id,
        metric=row.metric,
        comparison=row.comparison,
        threshold=float(row.threshold),
        window=row.time_window,
        min_sample=row.min_sample,
        sample_metric=store.rule_from_row(row).sample_of,
        cooldown_seconds=row.cooldown_seconds,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _state(s: Any) -> AlertStateOut:
    shop = s.scope_key == "shop"
    return AlertStateOut(
        scope="shop" if shop else "agent",
        agent_id=None if shop else s.scope_key.removeprefix("agent:"),
        breached=s.breached,
        value=None if s.value is None else float(s.value),
        sample=s.sample,
        last_breached_at=s.last_breached_at,
        last_resolved_at=s.last_resolved_at,
    )


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    return {_COLUMNS.get(k, k): v for k, v in values.items()}


async def create_rule(*, session: AsyncSession, shop_id: str, body: AlertRuleIn) -> AlertRuleOut:
    columns = _columns(body.model_dump())
    _checked({"rule_id": "new", **columns})
    return _out(await repository.insert_rule(session, shop_id=shop_id, columns=columns))


async def _row(session: AsyncSession, shop_id: str, rule_id: str) -> Any:
    row = await repository.fetch_rule(session, shop_id=shop_id, rule_id=rule_id)
    if row is None:
        raise NotFound(f"alert rule {rule_id!r} does not exist in this shop")
    return row


async def get_rule(*, session: AsyncSession, shop_id: str, rule_id: str) -> AlertRuleDetail:
    rule = _out(await _row(session, shop_id, rule_id))
    states = await repository.fetch_states(session, shop_id=shop_id, rule_id=rule_id)
    return AlertRuleDetail(**rule.model_dump(), states=[_state(s) for s in states])


async def list_rules(
    *, session: AsyncSession, shop_id: str, cursor: str | None, limit: int
) -> Page[AlertRuleOut]:
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows = await repository.list_rules(session, shop_id=shop_id, after=after, limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda r: [r.rule_id])
    return Page(items=[_out(r) for r in page], next_cursor=next_cursor)


async def update_rule(
    *, session: AsyncSession, shop_id: str, rule_id: str, patch: AlertRulePatch
) -> AlertRuleDetail:
    row = await _row(session, shop_id, rule_id)
    changes = patch.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in ("agent_id", "sample_metric"):
            raise Unprocessable.field(["body", name], f"{name} cannot be null")
    if changes.get("scope") == "shop":
        changes.setdefault("agent_id", None)
    _checked({**row._mapping, **_columns(changes)})
    if changes:
        await repository.update_rule(
            session, shop_id=shop_id, rule_id=rule_id, columns=_columns(changes)
        )
    return await get_rule(session=session, shop_id=shop_id, rule_id=rule_id)


async def delete_rule(*, session: AsyncSession, shop_id: str, rule_id: str) -> None:
    await _row(session, shop_id, rule_id)
    await repository.delete_rule(session, shop_id=shop_id, rule_id=rule_id)
