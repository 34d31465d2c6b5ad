"""SQL of the alert evaluation: rules, the shop's clock, alert state (no commits). The
rollups are read through shared/rollup_reader.py, as every other reader does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.settings import ShopSettings
from shared.schema import alert_rules, alert_state, shops

from .judge import AlertState
from .rules import AlertRule

Session = AsyncSession | AsyncConnection


def rule_of(columns: Mapping[str, Any]) -> AlertRule:
    """The rule of an alert_rules row's columns; ValueError (a message a shop can act
    on) when they do not make a valid rule."""
    return AlertRule(
        rule_id=columns["rule_id"],
        name=columns["name"],
        scope=columns["scope"],
        agent_id=columns["agent_id"],
        metric=columns["metric"],
        comparison=columns["comparison"],
        threshold=Decimal(columns["threshold"]),
        window=columns["time_window"],
        min_sample=int(columns["min_sample"]),
        sample_metric=columns["sample_metric"],
        cooldown_seconds=int(columns["cooldown_seconds"]),
    )


def rule_from_row(row: Any) -> AlertRule:
    return rule_of(row._mapping)


async def shop_clock(session: Session, shop_id: str) -> tuple[datetime | None, str]:
    """(watermark, IANA time zone) of the shop."""
    row = (
        await session.execute(
            select(shops.c.watermark, shops.c.settings).where(shops.c.shop_id == shop_id)
        )
    ).one_or_none()
    if row is None:
        return None, ShopSettings().timezone
    try:
        timezone = ShopSettings.from_dict(row.settings or {}).timezone
    except (ValueError, TypeError):
        timezone = ShopSettings().timezone
    return row.watermark, timezone


async def enabled_rules(session: Session, shop_id: str) -> list[AlertRule]:
    rows = await session.execute(
        select(alert_rules)
        .where(alert_rules.c.shop_id == shop_id, alert_rules.c.enabled)
        .order_by(alert_rules.c.rule_id)
    )
    return [rule_from_row(r) for r in rows]


async def load_states(
    session: Session, shop_id: str, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], AlertState]:
    """Stored state by (rule_id, scope_key); absent keys have never breached."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = await session.execute(
        select(alert_state).where(
            and_(
                alert_state.c.shop_id == shop_id,
                tuple_(alert_state.c.rule_id, alert_state.c.scope_key).in_(keys),
            )
        )
    )
    return {
        (r.rule_id, r.scope_key): AlertState(
            breached=r.breached,
            last_breached_at=r.last_breached_at,
            last_resolved_at=r.last_resolved_at,
        )
        for r in rows
    }


async def save_state(
    session: Session,
    *,
    shop_id: str,
    rule_id: str,
    scope_key: str,
    state: AlertState,
    value: Decimal | None,
    sample: int,
    now: datetime,
) -> None:
    values = {
        "breached": state.breached,
        "value": value,
        "sample": sample,
        "last_breached_at": state.last_breached_at,
        "last_resolved_at": state.last_resolved_at,
        "updated_at": now,
    }
    await session.execute(
        insert(alert_state)
        .values(shop_id=shop_id, rule_id=rule_id, scope_key=scope_key, **values)
        .on_conflict_do_update(index_elements=["shop_id", "rule_id", "scope_key"], set_=values)
    )
