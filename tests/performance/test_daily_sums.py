"""agent_daily sums per agent and per ISO week / month in the real Postgres."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.api.metrics import repository as metrics_sql
from services.api.performance import daily
from services.performance.periods import parse_period
from shared.schema import agent_daily


async def test_period_buckets_do_not_depend_on_the_session_time_zone(db: AsyncConnection) -> None:
    # date_trunc on a timestamptz would shift Monday 00:00 across the date line.
    await db.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    rows = [
        ("x", date(2026, 11, 9), 3),
        ("x", date(2026, 11, 15), 4),  # W46 Mon, Sun
        ("x", date(2026, 11, 16), 5),  # W47 Mon
        ("x", date(2026, 12, 31), 6),
        ("x", date(2027, 1, 1), 7),
    ]  # W53 of 2026
    for agent, day, n in rows:
        await db.execute(
            insert(agent_daily).values(
                shop_id="tz",
                agent_id=agent,
                day=day,
                inquiries=n,
                sales_amount=Decimal("1.10"),
            )
        )
    session = AsyncSession(bind=db)
    sums = {
        granularity: await metrics_sql.agent_sums(
            session,
            metrics_sql.AgentQuery(
                shop_id="tz",
                start=date(2026, 11, 1),
                end=date(2027, 1, 31),
                granularity=granularity,
                group_by="agent",
                agent_ids=["x"],
            ),
        )
        for granularity in ("week", "month")
    }
    assert {label: v.inquiries for label, _, v in sums["week"]} == {
        "2026-W46": 7,
        "2026-W47": 5,
        "2026-W53": 13,
    }
    assert {label: v.inquiries for label, _, v in sums["month"]} == {
        "2026-11": 12,
        "2026-12": 6,
        "2027-01": 7,
    }
    w46 = parse_period("2026-W46")
    summed = await daily.parts_by_agent(session, shop_id="tz", start=w46.first, end=w46.last)
    assert summed["x"].inquiries == 7 and summed["x"].sales_amount == Decimal("2.20")
    assert isinstance(summed["x"].inquiries, int)
