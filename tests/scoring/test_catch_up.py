"""The catch-up from the raw tables: stored events whose records never come are scored,
exactly, in bounded steps, and the records a worker consumed are not derived twice."""

from __future__ import annotations

import random
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.batch_processor import CatchUp, process_records
from services.scoring.repository import driver
from shared.settings import Settings
from tests.scoring.stream import (
    expected_facts,
    expected_rollups,
    generate,
    produce,
    read_facts,
    read_rollups,
    register_shop,
    running_worker,
    store_raw,
    wait_caught_up,
    wait_covered,
)


async def _covered(engine: AsyncEngine, shop: str) -> tuple[int, int, int]:
    """raw_covered_xid, and the least and greatest ingest_xid of the shop's raw events."""
    async with engine.connect() as conn:
        pg = await driver(conn)
        cur = await pg.execute(
            "SELECT s.raw_covered_xid, min(x), max(x) FROM shops s, ("
            " SELECT ingest_xid AS x FROM chat_messages WHERE shop_id = %(s)s"
            " UNION ALL SELECT ingest_xid FROM order_events WHERE shop_id = %(s)s"
            " UNION ALL SELECT ingest_xid FROM review_events WHERE shop_id = %(s)s) e"
            " WHERE s.shop_id = %(s)s GROUP BY s.raw_covered_xid",
            {"s": shop},
        )
        row = await cur.fetchone()
        await conn.rollback()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


async def test_stored_events_without_records_are_scored_in_bounded_steps(
    engine: AsyncEngine,
) -> None:
    """Ingest-sized transactions and one bigger than a step's limit (read whole)."""
    shop = "shop-catch-up"
    await register_shop(engine, shop)
    events = generate(41, shop, 2400, buyers=60, agents=4, reviews=0.5)  # reviews too
    random.Random(41).shuffle(events)
    for start in range(0, 1200, 150):
        await store_raw(engine, events[start : start + 150])
    await store_raw(engine, events[1200:])  # 1200 events in one transaction

    steps, found = 0, 0
    while True:
        async with engine.connect() as reader, engine.begin() as conn:
            result = await process_records(
                conn=conn,
                group_id="g-catch-up",
                records={},
                reader=reader,
                catch_up=CatchUp([shop], limit=100),
            )
        steps += 1
        found += result.catch_up_events
        if shop in result.caught_up:
            break
        assert steps < 100, "the catch-up does not advance"
    covered, _, newest = await _covered(engine, shop)
    assert covered > newest
    assert found == len(events)  # every stored event, once
    assert steps >= 9  # each 150-event transaction fills a step's limit, then the big one
    assert await read_rollups(engine, shop) == expected_rollups(events, shop)
    assert await read_facts(engine, shop) == expected_facts(events, shop)


async def test_events_known_covered_are_not_derived_again(engine: AsyncEngine) -> None:
    shop = "shop-catch-up-seen"
    await register_shop(engine, shop)
    events = generate(43, shop, 300, buyers=10, agents=2)
    await store_raw(engine, events)
    async with engine.connect() as reader, engine.begin() as conn:
        result = await process_records(
            conn=conn,
            group_id="g-catch-up-seen",
            records={},
            reader=reader,
            catch_up=CatchUp([shop], seen={shop: {e["event_id"] for e in events}}),
        )
    assert shop in result.caught_up
    assert (result.catch_up_events, result.buyers) == (0, 0)
    covered, _, newest = await _covered(engine, shop)
    assert covered > newest


async def test_a_worker_scores_stored_events_whose_records_were_lost(
    engine: AsyncEngine, settings: Settings
) -> None:
    """Ingest stored and forwarded them, then the broker lost the records: the records of
    half of the buyers arrive, every buyer is scored."""
    shop, group = "shop-lost-records", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    events = generate(47, shop, 3000, buyers=80, agents=4)
    random.Random(47).shuffle(events)
    for start in range(0, len(events), 500):
        await store_raw(engine, events[start : start + 500])
    await produce(settings, [e for e in events if int(e["buyer_id"].split("-")[1]) % 2])
    async with running_worker(engine, settings, group):
        await wait_caught_up(engine, settings, group)
        await wait_covered(engine, [shop])
    assert await read_rollups(engine, shop) == expected_rollups(events, shop)
    assert await read_facts(engine, shop) == expected_facts(events, shop)
