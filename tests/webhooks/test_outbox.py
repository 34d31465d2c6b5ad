"""enqueue_events: many events in one statement, each stored once, fanned out in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.webhooks.outbox import OutboxEvent, enqueue_event, enqueue_events

SHOP = "shop-outbox"
NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


async def _subscription(conn: AsyncConnection, sub: str, types: str, enabled: bool) -> None:
    await conn.execute(
        text(
            "INSERT INTO webhook_subscriptions (shop_id, subscription_id, url, event_types,"
            " secret, enabled) VALUES (:shop, :sub, 'https://example.com/h', CAST(:types AS"
            " jsonb), 'whsec_AAAA', :enabled)"
        ),
        {"shop": SHOP, "sub": sub, "types": types, "enabled": enabled},
    )


async def _shop(conn: AsyncConnection) -> None:
    await conn.execute(text("INSERT INTO shops (shop_id, name) VALUES (:s, :s)"), {"s": SHOP})
    await _subscription(conn, "sub-all", '["qa.violation", "alert.breached"]', True)
    await _subscription(conn, "sub-qa", '["qa.violation"]', True)
    await _subscription(conn, "sub-off", '["qa.violation", "alert.breached"]', False)


async def test_events_are_stored_once_and_fanned_out_in_order(db: AsyncConnection) -> None:
    await _shop(db)
    before = await enqueue_event(
        session=db, shop_id=SHOP, type="qa.violation", data={"n": 0}, now=NOW, event_id="evt_old"
    )
    assert before == "evt_old"

    stored = await enqueue_events(
        session=db,
        shop_id=SHOP,
        events=[
            OutboxEvent("qa.violation", {"n": 1, "text": '中文\t"q"'}, "evt_a"),
            OutboxEvent("qa.violation", {"n": 2}, "evt_old"),  # stored before: skipped
            OutboxEvent("alert.breached", {"value": 0.25, "threshold": 0.5}, "evt_b"),
            OutboxEvent("qa.violation", {"n": 3}, "evt_a"),  # given twice: the first wins
        ],
        now=NOW,
    )

    assert stored == ["evt_a", "evt_b"]
    events = await db.execute(
        text("SELECT event_id, type, data, created_at FROM webhook_events WHERE shop_id = :s"),
        {"s": SHOP},
    )
    assert sorted(tuple(r) for r in events) == [
        ("evt_a", "qa.violation", {"n": 1, "text": '中文\t"q"'}, NOW),
        ("evt_b", "alert.breached", {"value": 0.25, "threshold": 0.5}, NOW),
        ("evt_old", "qa.violation", {"n": 0}, NOW),
    ]
    deliveries = await db.execute(
        text(
            "SELECT event_id, subscription_id, status, next_attempt_at FROM webhook_deliveries"
            " WHERE shop_id = :s"
        ),
        {"s": SHOP},
    )
    rows = [tuple(r) for r in deliveries]
    assert sorted(r[:3] for r in rows) == [
        ("evt_a", "sub-all", "pending"),
        ("evt_a", "sub-qa", "pending"),
        ("evt_b", "sub-all", "pending"),
        ("evt_old", "sub-all", "pending"),
        ("evt_old", "sub-qa", "pending"),
    ]
    # Due in the order the events were given (ties allowed: the clock has microseconds).
    due = {e: [r[3] for r in rows if r[0] == e] for e in ("evt_old", "evt_a", "evt_b")}
    assert max(due["evt_old"]) <= min(due["evt_a"]) <= max(due["evt_a"]) <= min(due["evt_b"])


async def test_fresh_ids_nothing_to_store_and_unknown_types(db: AsyncConnection) -> None:
    await _shop(db)
    assert await enqueue_events(session=db, shop_id=SHOP, events=[], now=NOW) == []
    fresh = await enqueue_events(
        session=db,
        shop_id=SHOP,
        events=[OutboxEvent("alert.resolved", {}), OutboxEvent("alert.resolved", {})],
        now=NOW,
    )
    assert len(set(fresh)) == 2 and all(e.startswith("evt_") for e in fresh)
    with pytest.raises(ValueError, match="unknown webhook event type"):
        await enqueue_events(
            session=db, shop_id=SHOP, events=[OutboxEvent("qa.other", {})], now=NOW
        )
