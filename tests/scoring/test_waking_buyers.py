"""The buyers whose wake_at a new watermark passed: exactly those (strictly below, per
shop), and found through the (shop_id, wake_at) index, never by scanning buyer_state (a
live batch runs this once; a scan of every buyer per batch grew with the shop)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.repository import driver
from services.scoring.timeline_loader import waking_buyers, waking_statement

MARK = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
SHOPS = ("shop-wake-a", "shop-wake-b")


async def _buyers(db: AsyncConnection) -> None:
    """4 000 buyers per shop waking after the mark (or never), and a few at or below it."""
    pg = await driver(db)
    for shop in SHOPS:
        await pg.execute(
            """
            INSERT INTO buyer_state (shop_id, buyer_id, wake_at, contributions)
            SELECT %s, 'b' || i,
                   CASE WHEN i %% 5 = 0 THEN NULL ELSE %s + i * interval '1 second' END, '{}'
            FROM generate_series(1, 4000) AS i
            """,
            (shop, MARK),
        )
    due = [
        (SHOPS[0], "due-1", MARK - timedelta(microseconds=1)),
        (SHOPS[0], "due-2", MARK - timedelta(days=3)),
        (SHOPS[0], "at-mark", MARK),  # strictly below only
        (SHOPS[1], "due-3", MARK - timedelta(hours=1)),
    ]
    for shop, buyer, wake in due:
        await pg.execute(
            "INSERT INTO buyer_state (shop_id, buyer_id, wake_at, contributions)"
            " VALUES (%s, %s, %s, '{}')",
            (shop, buyer, wake),
        )
    await pg.execute("ANALYZE buyer_state")


async def test_exactly_the_buyers_below_each_shops_mark(db: AsyncConnection) -> None:
    await _buyers(db)
    pg = await driver(db)
    marks = {SHOPS[0]: MARK, SHOPS[1]: MARK - timedelta(minutes=30)}
    assert await waking_buyers(pg=pg, marks=marks) == {
        (SHOPS[0], "due-1"),
        (SHOPS[0], "due-2"),
        (SHOPS[1], "due-3"),
    }
    assert await waking_buyers(pg=pg, marks={}) == set()


async def test_each_shop_is_an_index_range_not_a_scan(db: AsyncConnection) -> None:
    await _buyers(db)
    pg = await driver(db)
    sql, params = waking_statement([(SHOPS[0], MARK), (SHOPS[1], MARK)])
    cur = await pg.execute("EXPLAIN " + sql, params)
    plan = "\n".join(row[0] for row in await cur.fetchall())
    assert "Seq Scan" not in plan, plan
    assert plan.count("ix_buyer_state_wake") == 2, plan
