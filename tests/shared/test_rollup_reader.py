"""The one reader of the daily rollups (shared/rollup_reader.py) in the real Postgres:
sums per agent and per ISO week / month, whatever the session's time zone; streaming."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.metrics import agent_values, summed_row_values
from domain.parts import AgentDayParts
from domain.spread import encode
from services.performance.periods import parse_period
from shared import rollup_reader
from shared.schema import agent_daily, agent_responses


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
        granularity: await rollup_reader.agent_sums(
            session,
            rollup_reader.AgentQuery(
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
    summed = await rollup_reader.parts_by_agent(
        session, shop_id="tz", start=w46.first, end=w46.last
    )
    assert summed["x"].inquiries == 7 and summed["x"].sales_amount == Decimal("2.20")
    assert isinstance(summed["x"].inquiries, int)


async def test_streamed_rows_are_the_listed_rows(db: AsyncConnection) -> None:
    """stream_agent_rows yields what agent_sums returns, in order, a batch at a time:
    flat, money as its two-place text, each row with its response times (or None)."""
    rows = [
        {
            "shop_id": "st",
            "agent_id": f"a{i % 7}",
            "day": date(2026, 11, 1 + i % 30),
            "sessions": i,
            "inquiries": i % 3,
            "paid_buyers": i % 2,
            "sales_amount": Decimal(f"{i}.{i % 10}0"),
        }
        for i in range(60)
    ]
    await db.execute(insert(agent_daily), rows)
    await db.execute(
        insert(agent_responses),
        [
            {
                "shop_id": "st",
                "agent_id": r["agent_id"],
                "day": r["day"],
                "response_us": encode([1_000_000 * (i + 1), 2_500_000]),
                "first_response_us": encode([1_000_000 * (i + 1)]),
            }
            for i, r in enumerate(rows)
            if i % 4 == 0
        ],
    )
    for granularity, group_by in (("day", "agent"), ("week", "agent"), ("total", "group")):
        query = rollup_reader.AgentQuery(
            shop_id="st",
            start=date(2026, 11, 1),
            end=date(2026, 11, 30),
            granularity=granularity,
            group_by=group_by,
        )
        listed = await rollup_reader.agent_sums(db, query)
        streamed = [r async for r in rollup_reader.stream_agent_rows(db, query, batch=7)]
        assert [row[:2] for row, _ in streamed] == [row[:2] for row in listed]
        assert [summed_row_values(row, spread) for row, spread in streamed] == [
            (period, key, *agent_values(parts)) for period, key, parts in listed
        ]
        money = 2 + AgentDayParts.FIELDS.index("sales_amount")
        assert [row[money] for row, _ in streamed] == [
            str(parts.sales_amount) for _, _, parts in listed
        ]
        with_times = [s for _, s in streamed if s is not None]
        assert with_times and all(s.responses.n for s in with_times)
    day_rows = [
        r async for r in rollup_reader.stream_agent_rows(db, _query(granularity="day"), batch=7)
    ]
    assert len(day_rows) == 60 and sum(row[2 + SESSIONS] for row, _ in day_rows) == sum(range(60))


SESSIONS = AgentDayParts.FIELDS.index("sessions")


def _query(**kwargs: Any) -> rollup_reader.AgentQuery:
    return rollup_reader.AgentQuery(
        shop_id="st", start=date(2026, 11, 1), end=date(2026, 11, 30), **kwargs
    )
