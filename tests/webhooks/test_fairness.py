"""No head-of-line blocking (issue #18): a subscription whose receiver hangs, with 50 000
deliveries queued before anyone else's, holds at most its per-subscription slots; another
shop's subscription is delivered while its requests still hang. And the housekeeping:
delivered rows go after the retention, failed ones stay, orphans end failed."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.webhooks.housekeeping import sweep
from services.webhooks.outbox import OutboxEvent, enqueue_events
from shared.db import session_factory
from tests.fixtures.clock import NOW

from .helpers import (
    dispatcher,
    enqueue,
    eventually,
    run_until,
    shop_with_subscription,
    statuses,
)
from .receiver import Receiver

QUEUED = 50_000
PER_SUBSCRIPTION = 2


class Hanging:
    """A receiver behaviour that hangs until released, counting requests in flight."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __call__(self, path: str, nth: int) -> int:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        self.gate.wait(60)
        with self.lock:
            self.now -= 1
        return 500


async def _flood(engine: AsyncEngine, shop_id: str, n: int) -> None:
    events = [OutboxEvent("qa.violation", {"n": i}, f"evt_flood_{shop_id}_{i}") for i in range(n)]
    async with engine.begin() as conn:
        stored = await enqueue_events(session=conn, shop_id=shop_id, events=events, now=NOW)
    assert len(stored) == n


async def _open_attempts(engine: AsyncEngine, shop_id: str) -> tuple[int, int]:
    """(attempts still open, attempts finished) of the shop."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE finished_at IS NULL) AS open,"
                    " count(*) FILTER (WHERE finished_at IS NOT NULL) AS done"
                    " FROM webhook_attempts WHERE shop_id = :s"
                ),
                {"s": shop_id},
            )
        ).one()
    return int(row.open), int(row.done)


async def test_a_hanging_receiver_does_not_hold_up_other_subscriptions(
    engine: AsyncEngine,
) -> None:
    hanging = Hanging()
    with Receiver(hanging) as stuck, Receiver() as fine:
        await shop_with_subscription(engine, "shop-hangs", stuck.url())
        await shop_with_subscription(engine, "shop-fine", fine.url())
        await _flood(engine, "shop-hangs", QUEUED)  # all due before the other shop's
        d = dispatcher(
            engine,
            batch_size=6,
            per_subscription=PER_SUBSCRIPTION,
            timeout_seconds=120,  # longer than the test: the hung attempts stay open
            lease_seconds=300,
        )

        async def delivered() -> bool:
            done = await statuses(engine, "shop-fine")
            return bool(done) and set(done.values()) == {"delivered"}

        async def both() -> bool:
            if hanging.now < PER_SUBSCRIPTION:  # the stuck receiver's slots are taken
                return False
            if not await statuses(engine, "shop-fine"):
                await enqueue(engine, "shop-fine", 3)  # after the flood, behind it in time
            return await delivered()

        stop = asyncio.Event()
        task = asyncio.create_task(d.run(stop))
        try:
            await eventually(both, limit=60)
            # Delivered while every attempt of the stuck one still hangs: nothing waited
            # for its timeouts, and it never held more than its share of the slots.
            assert await _open_attempts(engine, "shop-hangs") == (PER_SUBSCRIPTION, 0)
            assert hanging.most == PER_SUBSCRIPTION
            assert len(fine.requests) == 3
        finally:
            hanging.gate.set()
            stop.set()
            await task
            await d.client.aclose()
            async with engine.begin() as conn:  # the flood is not the next tests' business
                for table in ("webhook_attempts", "webhook_deliveries", "webhook_events"):
                    await conn.execute(text(f"DELETE FROM {table} WHERE shop_id = 'shop-hangs'"))


async def test_housekeeping_deletes_old_delivered_rows_only(engine: AsyncEngine) -> None:
    with Receiver() as rx:
        sub = await shop_with_subscription(engine, "shop-sweep", rx.url())
        ids = await enqueue(engine, "shop-sweep", 6)
        await run_until(
            dispatcher(engine),
            lambda: _all_delivered(engine, "shop-sweep", 6),
        )
    old, recent, failed = ids[:3], ids[3:5], ids[5]
    async with engine.begin() as conn:
        age = {"s": "shop-sweep", "old": old, "when": timedelta(days=8)}
        await conn.execute(
            text(
                "UPDATE webhook_deliveries SET finished_at = finished_at - :when"
                " WHERE shop_id = :s AND event_id = ANY(:old)"
            ),
            age,
        )
        await conn.execute(
            text(
                "UPDATE webhook_events SET created_at = created_at - :when"
                " WHERE shop_id = :s AND event_id = ANY(:old)"
            ),
            age,
        )
        await conn.execute(
            text(
                "UPDATE webhook_deliveries SET status = 'failed',"
                " finished_at = finished_at - :when WHERE shop_id = :s AND event_id = :f"
            ),
            {"s": "shop-sweep", "f": failed, "when": timedelta(days=30)},
        )
    # A deleted subscription's pending delivery ends failed.
    await shop_with_subscription(engine, "shop-orphan", "http://127.0.0.1:9/hook")
    (orphan,) = await enqueue(engine, "shop-orphan", 1)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM webhook_subscriptions WHERE shop_id = 'shop-orphan'"))
    # A review.bad event is its own dedupe record (services/alerts/reviews.py): it stays.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO webhook_events (shop_id, event_id, type, data, created_at)"
                " VALUES ('shop-sweep', 'evt_review_old', 'review.bad', '{}',"
                " now() - interval '30 days')"
            )
        )
    swept = await sweep(factory=session_factory(engine), retention_seconds=7 * 86400)
    assert swept.delivered_deleted >= 3 and swept.events_deleted >= 3
    assert swept.orphans_failed >= 1
    left = await statuses(engine, "shop-sweep")
    assert set(left) == {*recent, failed}  # the old delivered rows are gone, failed stays
    async with engine.connect() as conn:
        events = set(
            (
                await conn.execute(
                    text("SELECT event_id FROM webhook_events WHERE shop_id = 'shop-sweep'")
                )
            ).scalars()
        )
        attempts = set(
            (
                await conn.execute(
                    text(
                        "SELECT d.event_id FROM webhook_attempts a JOIN webhook_deliveries d"
                        " USING (shop_id, delivery_id) WHERE a.shop_id = 'shop-sweep'"
                    )
                )
            ).scalars()
        )
        strays = await conn.scalar(
            text(
                "SELECT count(*) FROM webhook_attempts a WHERE a.shop_id = 'shop-sweep'"
                " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d"
                " WHERE d.shop_id = a.shop_id AND d.delivery_id = a.delivery_id)"
            )
        )
    assert events == {*recent, failed, "evt_review_old"}
    assert attempts == {*recent, failed} and strays == 0
    assert await statuses(engine, "shop-orphan") == {orphan: "failed"}
    assert sub.subscription_id  # the live subscription's rows were judged by age only
    again = await sweep(factory=session_factory(engine), retention_seconds=7 * 86400)
    assert again.delivered_deleted == 0 and again.orphans_failed == 0


async def _all_delivered(engine: AsyncEngine, shop_id: str, n: int) -> bool:
    done = await statuses(engine, shop_id)
    return len(done) == n and set(done.values()) == {"delivered"}


async def test_a_backlog_takes_turns_with_the_others(engine: AsyncEngine) -> None:
    """Even when one subscription may fill every slot, the others' due rows are claimed
    in the same round: turn by turn, not oldest first."""
    with Receiver() as rx:
        await shop_with_subscription(engine, "shop-backlog", rx.url("/backlog"))
        await _flood(engine, "shop-backlog", 200)
        await shop_with_subscription(engine, "shop-turn", rx.url("/turn"))
        await enqueue(engine, "shop-turn", 1)
        d = dispatcher(engine, batch_size=4, per_subscription=4)
        assert await d.run_once() == 4
        await d.client.aclose()
    paths = [r.path for r in rx.requests]
    assert sorted(paths) == ["/backlog"] * 3 + ["/turn"]
    assert set((await statuses(engine, "shop-turn")).values()) == {"delivered"}
