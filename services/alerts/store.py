"""SQL of the alert evaluation: rules, summed rollups, alert state (no commits)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.parts import AgentDayParts, ShopDayParts
from domain.settings import ShopSettings
from shared.schema import agent_daily, alert_rules, alert_state, shop_daily, shops

from .judge import AlertState
from .rules import AlertRule

Session = AsyncSession | AsyncConnection


def rule_from_row(row: Any) -> AlertRule:
    return AlertRule(
        rule_id=row.rule_id,
        name=row.name,
        scope=row.scope,
        agent_id=row.agent_id,
        metric=row.metric,
        comparison=row.comparison,
        threshold=Decimal(row.threshold),
        window=row.time_window,
        min_sample=int(row.min_sample),
        sample_metric=row.sample_metric,
        cooldown_seconds=int(row.cooldown_seconds),
    )


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


def _sums(table: Any, fields: tuple[str, ...]) -> list[Any]:
    return [func.coalesce(func.sum(table.c[f]), 0).label(f) for f in fields]


async def agent_sums(
    session: Session, shop_id: str, agents: Iterable[str], days: tuple[date, date]
) -> dict[str, AgentDayParts]:
    """Each agent's parts summed over the inclusive days (agents without rows: absent)."""
    agents = sorted(set(agents))
    if not agents:
        return {}
    rows = await session.execute(
        select(agent_daily.c.agent_id, *_sums(agent_daily, AgentDayParts.FIELDS))
        .where(
            agent_daily.c.shop_id == shop_id,
            agent_daily.c.agent_id.in_(agents),
            agent_daily.c.day.between(*days),
        )
        .group_by(agent_daily.c.agent_id)
    )
    return {r.agent_id: AgentDayParts.from_json(dict(r._mapping)) for r in rows}


async def shop_sums(
    session: Session, shop_id: str, days: tuple[date, date]
) -> tuple[AgentDayParts, ShopDayParts]:
    """All agents' parts and the shop-level parts, summed over the inclusive days."""
    agents = (
        await session.execute(
            select(*_sums(agent_daily, AgentDayParts.FIELDS)).where(
                agent_daily.c.shop_id == shop_id, agent_daily.c.day.between(*days)
            )
        )
    ).one()
    shop = (
        await session.execute(
            select(*_sums(shop_daily, ShopDayParts.FIELDS)).where(
                shop_daily.c.shop_id == shop_id, shop_daily.c.day.between(*days)
            )
        )
    ).one()
    return AgentDayParts.from_json(dict(agents._mapping)), ShopDayParts.from_json(
        dict(shop._mapping)
    )


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
