"""Alert rules of a shop: CRUD, validated by the alert core's own rule model."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.rules import AlertRule
from services.alerts.store import rule_from_row
from shared.schema import alert_rules, alert_state

from ..exceptions import NotFound, Unprocessable
from ..pagination import decode_cursor, page_of
from .schemas import AlertRuleIn, AlertRulePatch

# API name → column name; everything else is the same.
_COLUMNS = {"window": "time_window"}


def _checked(values: dict[str, Any]) -> AlertRule:
    try:
        return AlertRule(
            rule_id="check",
            scope=values["scope"],
            metric=values["metric"],
            comparison=values["comparison"],
            threshold=Decimal(values["threshold"]),
            window=values["window"],
            agent_id=values.get("agent_id"),
            min_sample=values.get("min_sample", 0),
            sample_metric=values.get("sample_metric"),
            cooldown_seconds=values.get("cooldown_seconds", 3600),
        )
    except ValueError as exc:
        raise Unprocessable.field(["body"], str(exc)) from exc


def _out(row: Any) -> dict[str, Any]:
    rule = rule_from_row(row)
    return {
        "rule_id": row.rule_id,
        "name": row.name,
        "scope": row.scope,
        "agent_id": row.agent_id,
        "metric": row.metric,
        "comparison": row.comparison,
        "threshold": float(row.threshold),
        "window": row.time_window,
        "min_sample": row.min_sample,
        "sample_metric": rule.sample_of,
        "cooldown_seconds": row.cooldown_seconds,
        "enabled": row.enabled,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    return {_COLUMNS.get(k, k): v for k, v in values.items()}


async def create_rule(*, session: AsyncSession, shop_id: str, body: AlertRuleIn) -> dict[str, Any]:
    values = body.model_dump()
    _checked(values)
    row = (
        await session.execute(
            insert(alert_rules)
            .values(shop_id=shop_id, rule_id="alr_" + secrets.token_hex(8), **_columns(values))
            .returning(*alert_rules.c)
        )
    ).one()
    return _out(row)


async def _row(session: AsyncSession, shop_id: str, rule_id: str) -> Any:
    row = (
        await session.execute(
            select(alert_rules).where(
                alert_rules.c.shop_id == shop_id, alert_rules.c.rule_id == rule_id
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"alert rule {rule_id!r} does not exist in this shop")
    return row


async def get_rule(*, session: AsyncSession, shop_id: str, rule_id: str) -> dict[str, Any]:
    out = _out(await _row(session, shop_id, rule_id))
    states = await session.execute(
        select(alert_state)
        .where(alert_state.c.shop_id == shop_id, alert_state.c.rule_id == rule_id)
        .order_by(alert_state.c.scope_key)
    )
    out["states"] = [
        {
            "scope": "shop" if s.scope_key == "shop" else "agent",
            "agent_id": None if s.scope_key == "shop" else s.scope_key.removeprefix("agent:"),
            "breached": s.breached,
            "value": None if s.value is None else float(s.value),
            "sample": s.sample,
            "last_breached_at": s.last_breached_at,
            "last_resolved_at": s.last_resolved_at,
        }
        for s in states
    ]
    return out


async def list_rules(
    *, session: AsyncSession, shop_id: str, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    query = select(alert_rules).where(alert_rules.c.shop_id == shop_id)
    if cursor:
        query = query.where(alert_rules.c.rule_id > str(decode_cursor(cursor, 1)[0]))
    rows = (await session.execute(query.order_by(alert_rules.c.rule_id).limit(limit + 1))).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.rule_id])
    return [_out(r) for r in page], next_cursor


def _stored(row: Any) -> dict[str, Any]:
    """The rule's stored settings under their API names (sample_metric as set, maybe null)."""
    names = (
        "scope",
        "agent_id",
        "metric",
        "comparison",
        "threshold",
        "min_sample",
        "sample_metric",
        "cooldown_seconds",
    )
    return {**{n: getattr(row, n) for n in names}, "window": row.time_window}


async def update_rule(
    *, session: AsyncSession, shop_id: str, rule_id: str, patch: AlertRulePatch
) -> dict[str, Any]:
    row = await _row(session, shop_id, rule_id)
    changes = patch.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in ("agent_id", "sample_metric"):
            raise Unprocessable.field(["body", name], f"{name} cannot be null")
    if changes.get("scope") == "shop":
        changes.setdefault("agent_id", None)
    _checked({**_stored(row), **changes})
    if changes:
        await session.execute(
            update(alert_rules)
            .where(alert_rules.c.shop_id == shop_id, alert_rules.c.rule_id == rule_id)
            .values(**_columns(changes), updated_at=func.now())
        )
    return await get_rule(session=session, shop_id=shop_id, rule_id=rule_id)


async def delete_rule(*, session: AsyncSession, shop_id: str, rule_id: str) -> None:
    await _row(session, shop_id, rule_id)
    await session.execute(
        delete(alert_state).where(
            alert_state.c.shop_id == shop_id, alert_state.c.rule_id == rule_id
        )
    )
    await session.execute(
        delete(alert_rules).where(
            alert_rules.c.shop_id == shop_id, alert_rules.c.rule_id == rule_id
        )
    )
