"""Streaming rollups and facts in Postgres equal batch.recompute over the same events."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import rederive, response_parts
from services.scoring.repository import driver
from shared.settings import Settings
from tests.scoring.stream import (
    CST,
    chat,
    drain,
    expected_facts,
    expected_rollups,
    expected_spreads,
    generate,
    ingest,
    order,
    produce,
    read_facts,
    read_rollups,
    read_spreads,
    register_shop,
    review,
    store_raw,
)


async def _assert_equal(engine: AsyncEngine, events: list[dict[str, Any]], shop: str) -> None:
    agents, shops = await read_rollups(engine, shop)
    want_agents, want_shops = expected_rollups(events, shop)
    assert agents == want_agents
    assert shops == want_shops
    assert await read_facts(engine, shop) == expected_facts(events, shop)
    assert await read_spreads(engine, shop) == expected_spreads(events, shop)


async def _rows_per_part(engine: AsyncEngine, shop: str) -> dict[int, int]:
    async with engine.connect() as conn:
        pg = await driver(conn)
        cursor = await pg.execute(
            "SELECT part, count(*) FROM agent_responses WHERE shop_id = %s GROUP BY part",
            (shop,),
        )
        return dict(await cursor.fetchall())


@pytest.mark.parametrize("recent_cap", [None, 3], ids=["parts", "merging-often"])
async def test_shuffled_stream_with_duplicates(
    engine: AsyncEngine, settings: Settings, recent_cap: int | None, monkeypatch: Any
) -> None:
    shop, group = f"shop-shuffled-{recent_cap}", f"g-{uuid.uuid4().hex[:6]}"
    if recent_cap is not None:  # response-time parts merged every few values
        monkeypatch.setattr(response_parts, "RECENT_CAP", recent_cap)
    await register_shop(engine, shop)
    events = generate(7, shop, 3000, buyers=60, agents=4, reviews=0.5)
    rng = random.Random(7)
    stream = events + rng.sample(events, 300)  # re-sent duplicates
    rng.shuffle(stream)
    for chunk in (stream[:900], stream[900:2000], stream[2000:]):
        await ingest(engine, settings, chunk)
        await drain(engine, settings, group)
    await _assert_equal(engine, events, shop)
    parts = await _rows_per_part(engine, shop)
    if recent_cap is not None:
        assert parts.get(0, 0) > 0 and parts.get(1, 0) > 0, parts  # both parts in use
    agents, _ = await read_rollups(engine, shop)
    assert sum(p.qa_sessions for p in agents.values()) > 0
    assert sum(p.paid_orders for p in agents.values()) > 0
    assert sum(p.reviews for p in agents.values()) > 0
    assert sum(p.review_mentions for p in agents.values()) > 0


async def test_redelivered_batches_change_nothing(engine: AsyncEngine, settings: Settings) -> None:
    shop, group = "shop-redeliver", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    events = generate(11, shop, 1500, buyers=40, agents=3)
    await ingest(engine, settings, events)
    await drain(engine, settings, group)
    before = await read_rollups(engine, shop), await read_facts(engine, shop)
    async with engine.begin() as conn:  # forget the offsets: everything is delivered again
        await (await driver(conn)).execute(
            "DELETE FROM consumer_offsets WHERE group_id = %s", (group,)
        )
    await drain(engine, settings, group)
    assert (await read_rollups(engine, shop), await read_facts(engine, shop)) == before
    await _assert_equal(engine, events, shop)


async def test_late_message_merges_sessions(engine: AsyncEngine, settings: Settings) -> None:
    shop, group = "shop-merge", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    t = datetime(2026, 11, 10, 10, 0, tzinfo=CST)
    first = [
        chat(shop, "m1", "b1", "a1", "buyer", t, "在吗"),
        chat(shop, "m2", "b1", "a1", "agent", t + timedelta(seconds=10), "您好亲😊😊😊"),
        chat(shop, "m3", "b1", "a1", "buyer", t + timedelta(minutes=50), "还在吗"),
        chat(shop, "m4", "b1", "a1", "agent", t + timedelta(minutes=51), "在的亲😊😊😊"),
        chat(shop, "x1", "b2", "a2", "bot", t + timedelta(hours=5), "自动回复"),
    ]
    await ingest(engine, settings, first)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert agents[(shop, "a1", t.date())].sessions == 2
    late = [chat(shop, "m5", "b1", "a1", "buyer", t + timedelta(minutes=25), "快点")]
    await ingest(engine, settings, late)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert agents[(shop, "a1", t.date())].sessions == 1
    await _assert_equal(engine, first + late, shop)


async def test_late_message_reattributes_order_two_days_back(
    engine: AsyncEngine, settings: Settings
) -> None:
    shop, group = "shop-reattr", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    t = datetime(2026, 11, 8, 10, 0, tzinfo=CST)
    first = [
        chat(shop, "m1", "b1", "a1", "buyer", t, "这款有货吗"),
        chat(shop, "m2", "b1", "a1", "agent", t + timedelta(seconds=20), "有的亲😊😊😊"),
        order(shop, "o1c", "created", "o1", "b1", t + timedelta(hours=2), "300.00"),
        order(shop, "o1p", "paid", "o1", "b1", t + timedelta(hours=2, minutes=5), "300.00"),
        chat(shop, "m3", "b9", "a2", "buyer", t + timedelta(days=2), "你好"),
    ]
    await ingest(engine, settings, first)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert agents[(shop, "a1", t.date())].paid_orders == 1
    late = [chat(shop, "m4", "b1", "a2", "buyer", t + timedelta(hours=1), "我要下单")]
    await ingest(engine, settings, late)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert agents[(shop, "a1", t.date())].paid_orders == 0
    assert agents[(shop, "a2", t.date())].paid_orders == 1
    assert agents[(shop, "a2", t.date())].sales_amount == 300
    await _assert_equal(engine, first + late, shop)


async def test_watermark_closes_sessions_and_loses_inquiries(
    engine: AsyncEngine, settings: Settings
) -> None:
    shop, group = "shop-watermark", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    t = datetime(2026, 11, 8, 10, 0, tzinfo=CST)
    chats = [
        chat(shop, "m1", "b1", "a1", "buyer", t, "这款有货吗"),
        chat(shop, "m2", "b1", "a1", "agent", t + timedelta(seconds=20), "有的亲😊😊😊"),
    ]
    await ingest(engine, settings, chats)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    day = (shop, "a1", t.date())
    assert (agents[day].qa_sessions, agents[day].lost_inquiries) == (0, 0)
    # Another buyer's system notice 1 h later closes the session (watermark > last + 30 min).
    tick = [chat(shop, "s1", "b2", None, "system", t + timedelta(hours=1), "通知")]
    await ingest(engine, settings, tick)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert (agents[day].qa_sessions, agents[day].lost_inquiries) == (1, 0)
    # An order event 4 days later turns the unconverted inquiry lost.
    later = [order(shop, "o9", "created", "o9", "b3", t + timedelta(days=4), "9.90")]
    await ingest(engine, settings, later)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert agents[day].lost_inquiries == 1
    await _assert_equal(engine, chats + tick + later, shop)


async def test_stored_events_move_the_watermark_before_their_records_arrive(
    engine: AsyncEngine, settings: Settings
) -> None:
    """Ingest stores an event before it forwards it: a worker catching up a backlog reads
    the watermark from the stored events, so the first record already derives its buyer
    as the rest of the stored history leaves it (session closed and QA-scored)."""
    shop, group = "shop-stored-mark", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    t = datetime(2026, 11, 8, 10, 0, tzinfo=CST)
    first = [
        chat(shop, "m1", "b1", "a1", "buyer", t, "这款有货吗"),
        chat(shop, "m2", "b1", "a1", "agent", t + timedelta(seconds=20), "有的亲😊😊😊"),
    ]
    later = [chat(shop, "s1", "b2", None, "system", t + timedelta(hours=1), "通知")]
    await store_raw(engine, later)  # stored, its record not yet forwarded
    await ingest(engine, settings, first)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert agents[(shop, "a1", t.date())].qa_sessions == 1
    await produce(settings, later)
    await drain(engine, settings, group)
    await _assert_equal(engine, first + later, shop)


async def test_many_small_pipeline_chunks_give_the_batch_result(
    engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's buyers go through rederive's pipeline in chunks (reads of one overlapping
    the derivation and writes of others); with chunks of 7 buyers every batch has many,
    and the rollups and facts still equal the batch recomputation."""
    monkeypatch.setattr(rederive, "CHUNK_BUYERS", 7)
    monkeypatch.setattr(rederive, "YIELD_EVERY", 2)
    shop, group = "shop-chunks", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    events = generate(23, shop, 2500, buyers=90, agents=5, reviews=0.5)
    rng = random.Random(23)
    stream = events + rng.sample(events, 200)
    rng.shuffle(stream)
    for chunk in (stream[:1200], stream[1200:]):
        await ingest(engine, settings, chunk)
        await drain(engine, settings, group)
    await _assert_equal(engine, events, shop)


async def test_review_follows_reattribution_and_names_agents_seen_later(
    engine: AsyncEngine, settings: Settings
) -> None:
    """Through Postgres and the broker (SPEC §11): a review counts for the service agent
    on its posted_at day; a late chat message that moves the order's attribution moves the
    review; a good review naming a nickname no agent has yet is credited once that agent's
    first message arrives; a changed review (改评) replaces the first."""
    shop, group = "shop-reviews", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    t = datetime(2026, 11, 8, 10, 0, tzinfo=CST)
    day3 = (t + timedelta(days=3)).date()
    first = [
        chat(shop, "m1", "b1", "team:小美", "buyer", t, "这款有货吗"),
        chat(shop, "m2", "b1", "team:小美", "agent", t + timedelta(seconds=20), "有的亲😊😊😊"),
        order(shop, "o1c", "created", "o1", "b1", t + timedelta(hours=2), "300.00"),
        # Bad, then changed to good two minutes later: only the good one counts. It names
        # 小美 (an agent), 阿强 and 老王 (nobody yet).
        review(shop, "r1", "o1", "b1", t + timedelta(days=3), "bad", "差", {"item": 1}),
        review(
            shop,
            "r2",
            "o1",
            "b1",
            t + timedelta(days=3, minutes=2),
            "good",
            "小美和阿强都好,老王也好",
        ),
    ]
    await ingest(engine, settings, first)
    await drain(engine, settings, group)
    agents, shops = await read_rollups(engine, shop)
    # 1 review, good, service agent 小美 (her inquiry of day 0 holds the order); one
    # mention for her; 阿强 is no agent yet. The shop: 1 review, 0 bad, no DSR (r2 has none).
    mine = agents[(shop, "team:小美", day3)]
    assert (mine.reviews, mine.good_reviews, mine.bad_reviews, mine.review_mentions) == (1, 1, 0, 1)
    assert (shops[(shop, day3)].reviews_total, shops[(shop, day3)].dsr_item_count) == (1, 0)
    late = [
        # A message to 阿强 one hour before the order: his inquiry now holds it (last touch).
        chat(shop, "m3", "b1", "team:阿强", "buyer", t + timedelta(hours=1), "我要下单"),
    ]
    await ingest(engine, settings, late)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    # The review moved to 阿强 (reviews 1, good 1) and he is named now too: mentions 1 each.
    assert (shop, "team:小美", day3) in agents
    assert agents[(shop, "team:小美", day3)].reviews == 0
    assert agents[(shop, "team:小美", day3)].review_mentions == 1
    assert agents[(shop, "team:阿强", day3)].reviews == 1
    assert agents[(shop, "team:阿强", day3)].review_mentions == 1
    assert (shop, "team:老王", day3) not in agents
    # 老王's first message, to another buyer days later: b1's review now names him too.
    other = [chat(shop, "m4", "b7", "team:老王", "buyer", t + timedelta(days=5), "在吗")]
    await ingest(engine, settings, other)
    await drain(engine, settings, group)
    agents, _ = await read_rollups(engine, shop)
    assert agents[(shop, "team:老王", day3)].review_mentions == 1
    await _assert_equal(engine, first + late + other, shop)


async def test_bad_review_is_notified_once_and_withdrawn_through_the_worker(
    engine: AsyncEngine, settings: Settings
) -> None:
    """The scoring worker's batches queue review.bad when an order's review becomes bad
    (once, however often the order is re-derived) and review.bad.withdrawn when a changed
    review is no longer bad (SPEC §11), in the batch's transaction."""
    shop, group = "shop-review-bad", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    t = datetime(2026, 11, 8, 10, 0, tzinfo=CST)
    first = [
        chat(shop, "m1", "b1", "a1", "buyer", t, "这款有货吗"),
        order(shop, "o1c", "created", "o1", "b1", t + timedelta(hours=1), "30.00"),
        review(shop, "r1", "o1", "b1", t + timedelta(days=2), "bad", "太差"),
    ]
    later = [  # b1 chats again (re-derives o1) before changing the review
        chat(shop, "m2", "b1", "a1", "buyer", t + timedelta(days=3), "退货"),
    ]
    changed = [review(shop, "r2", "o1", "b1", t + timedelta(days=4), "good", "客服解决了")]

    async def sent() -> list[tuple[str, Any, Any]]:
        async with engine.connect() as conn:
            cur = await (await driver(conn)).execute(
                "SELECT type, data->'review'->>'event_id', data->>'withdrawn_review_event_id'"
                " FROM webhook_events WHERE shop_id = %s ORDER BY created_at, type",
                (shop,),
            )
            return [tuple(row) for row in await cur.fetchall()]

    for events in (first, later, changed):
        await ingest(engine, settings, events)
        await drain(engine, settings, group)
    assert await sent() == [
        ("review.bad", "r1", None),
        ("review.bad.withdrawn", "r2", "r1"),
    ]
    await _assert_equal(engine, first + later + changed, shop)
