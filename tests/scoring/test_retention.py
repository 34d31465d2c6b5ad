"""Raw-event retention (SPEC §2/§3 raw_retention_days): the scheduled purge in the scoring
worker removes the raw events of dormant buyers past the shop's horizon, keeps every
result and rollup, shows up in raw_purges, and a buyer who comes back later is scored
exactly as the batch recomputation of the whole history (purged events included) says.

`now` is injected (the worker's clock): the fixed test instant, never the wall clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.settings import ShopSettings
from services.scoring import retention
from services.scoring.repository import driver
from shared.settings import Settings
from tests.fixtures.clock import NOW
from tests.scoring.stream import (
    CST,
    drain,
    expected_facts,
    expected_rollups,
    generate,
    ingest,
    read_facts,
    read_rollups,
    register_shop,
    running_worker,
)
from tests.webhooks.helpers import eventually

SETTINGS = {"raw_retention_days": 30}


def as_buyers(events: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The same journeys under other buyer ids (buyer-7 → old-buyer-7)."""
    return [{**e, "buyer_id": f"{prefix}{e['buyer_id']}"} for e in events]


async def raw_counts(engine: AsyncEngine, shop_id: str) -> dict[str, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM chat_messages WHERE shop_id = :s),"
                    " (SELECT count(*) FROM order_events WHERE shop_id = :s),"
                    " (SELECT count(*) FROM buyer_state WHERE shop_id = :s),"
                    " (SELECT count(*) FROM review_events WHERE shop_id = :s)"
                ),
                {"s": shop_id},
            )
        ).one()
    return {"chat": row[0], "order": row[1], "buyer_state": row[2], "review": row[3]}


async def purges(engine: AsyncEngine, shop_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT * FROM raw_purges WHERE shop_id = :s ORDER BY id"), {"s": shop_id}
        )
        return [dict(r._mapping) for r in rows]


def test_horizon_is_the_retention_plus_the_longest_reach_of_one_event() -> None:
    settings = ShopSettings(raw_retention_days=30)  # after-sale look-back: 15 days
    assert retention.horizon(settings, NOW) == NOW - timedelta(days=45)
    wide = ShopSettings(raw_retention_days=30, attribution_window_seconds=20 * 86400)
    assert retention.horizon(wide, NOW) == NOW - timedelta(days=50)


async def test_purge_keeps_results_and_a_returning_buyer_is_scored_exactly(
    engine: AsyncEngine, settings: Settings
) -> None:
    shop = f"retain-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop, settings=SETTINGS)
    # Buyers last seen in March (past 30 days + margin on NOW = 2026-11-23) and buyers of
    # November; the March buyers' events are the dormant ones.
    old = as_buyers(
        generate(
            11,
            shop,
            1500,
            buyers=80,
            start=datetime(2026, 3, 2, 9, tzinfo=CST),
            prefix="o",
            reviews=0.5,
        ),
        "old-",
    )
    recent = generate(12, shop, 1500, buyers=120, prefix="n", reviews=0.5)
    await ingest(engine, settings, old + recent)
    group = f"scoring-{uuid.uuid4().hex[:6]}"
    await drain(engine, settings, group)
    rollups, facts = await read_rollups(engine, shop), await read_facts(engine, shop)
    assert rollups == expected_rollups(old + recent, shop, SETTINGS)
    before = await raw_counts(engine, shop)
    old_chats = sum(e["type"] == "chat.message" for e in old)
    old_reviews = sum(e["type"] == "review.posted" for e in old)
    old_orders = len(old) - old_chats - old_reviews
    assert old_reviews > 0
    old_buyers = len({e["buyer_id"] for e in old})

    # The worker purges once it runs (then every hour): now = NOW.
    async with running_worker(engine, settings, group, purge_every_s=3600):

        async def purged() -> bool:
            return bool(await purges(engine, shop))

        await eventually(purged, limit=60)

    after = await raw_counts(engine, shop)
    assert after == {
        "chat": before["chat"] - old_chats,
        "order": before["order"] - old_orders,
        "review": before["review"] - old_reviews,
        "buyer_state": before["buyer_state"] - old_buyers,
    }
    (run,) = await purges(engine, shop)
    assert (run["buyers"], run["chat_rows"], run["order_rows"], run["review_rows"]) == (
        old_buyers,
        old_chats,
        old_orders,
        old_reviews,
    )
    assert run["before"] == NOW - timedelta(days=45)
    # Results and rollups kept as they were.
    assert await read_rollups(engine, shop) == rollups
    assert await read_facts(engine, shop) == facts

    # A second purge finds nothing more: November's buyers are inside the retention.
    async with engine.begin() as conn:
        again = await retention.purge_shop(
            pg=await driver(conn), shop_id=shop, settings=ShopSettings(**SETTINGS), now=NOW
        )
    assert again.buyers == [] and len(await purges(engine, shop)) == 1

    # Some March buyers come back in November: scored as the whole history says.
    back = as_buyers(generate(13, shop, 600, buyers=20, prefix="b", reviews=0.5), "old-")
    assert len({e["buyer_id"] for e in back} & {e["buyer_id"] for e in old}) >= 10
    await ingest(engine, settings, back)
    await drain(engine, settings, group)
    everything = old + recent + back
    assert await read_rollups(engine, shop) == expected_rollups(everything, shop, SETTINGS)
    assert await read_facts(engine, shop) == expected_facts(everything, shop, SETTINGS)


@pytest.mark.parametrize("field", ["wake", "uncovered"])
async def test_buyers_with_pending_work_are_not_purged(
    engine: AsyncEngine, settings: Settings, field: str
) -> None:
    shop = f"retain-{field}-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop, settings=SETTINGS)
    old = generate(14, shop, 300, buyers=20, start=datetime(2026, 3, 2, 9, tzinfo=CST))
    await ingest(engine, settings, old)
    await drain(engine, settings, f"scoring-{uuid.uuid4().hex[:6]}")
    async with engine.begin() as conn:
        if field == "wake":  # a derivation still waiting for the watermark
            sql = "UPDATE buyer_state SET wake_at = :t WHERE shop_id = :s"
        else:  # stored events no derivation has seen yet
            sql = "UPDATE shops SET raw_covered_xid = 1 WHERE shop_id = :s AND :t IS NOT NULL"
        await conn.execute(text(sql), {"s": shop, "t": NOW})
    before = await raw_counts(engine, shop)
    async with engine.begin() as conn:
        result = await retention.purge_shop(
            pg=await driver(conn), shop_id=shop, settings=ShopSettings(**SETTINGS), now=NOW
        )
    assert result.buyers == []
    assert await raw_counts(engine, shop) == before
