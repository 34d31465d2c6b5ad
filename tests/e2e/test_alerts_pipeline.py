"""Alerts end to end: events through the real broker and the scoring shell produce exactly
one alert.breached, one alert.resolved and one qa.violation; a rolled-back batch none."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts import evaluate_after_batch
from services.scoring.batch_processor import process_records
from shared import topics
from shared.settings import Settings
from tests.scoring.stream import (
    CST,
    chat,
    drain,
    ingest,
    order,
    register_shop,
    store_raw,
)

SHOP = "alert-shop"
GROUP = "alerts-e2e"
DAY = datetime(2026, 11, 11, 9, 0, tzinfo=CST)


def inquiry(buyer: str, minute: int, *, paid: bool) -> list[dict[str, Any]]:
    """A buyer asks agent A, gets a greeting reply; optionally orders and pays."""
    at = DAY + timedelta(minutes=minute)
    events = [
        chat(SHOP, f"{buyer}-q", buyer, "A", "buyer", at, "这件有现货吗"),
        chat(
            SHOP,
            f"{buyer}-r",
            buyer,
            "A",
            "agent",
            at + timedelta(seconds=10),
            "您好亲，有现货的哦😊😊😊",
        ),
    ]
    if paid:
        events += order_paid(buyer, at + timedelta(minutes=5))
    return events


def order_paid(buyer: str, at: datetime) -> list[dict[str, Any]]:
    return [
        order(SHOP, f"{buyer}-oc", "created", f"O-{buyer}", buyer, at),
        order(SHOP, f"{buyer}-op", "paid", f"O-{buyer}", buyer, at + timedelta(minutes=1)),
    ]


async def outbox(engine: AsyncEngine) -> list[tuple[str, dict[str, Any]]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT type, data FROM webhook_events WHERE shop_id = :s ORDER BY created_at, type"
            ),
            {"s": SHOP},
        )
        return [(r[0], r[1]) for r in rows]


async def test_breach_resolve_and_violation_once(engine: AsyncEngine, settings: Settings) -> None:
    await register_shop(engine, SHOP)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO webhook_subscriptions (shop_id, subscription_id, url, event_types, "
                "secret) VALUES (:s, 'sub', 'https://hooks.example.com/x', "
                '\'["alert.breached", "alert.resolved", "qa.violation"]\', \'whsec_AAAA\')'
            ),
            {"s": SHOP},
        )
        await conn.execute(
            text(
                "INSERT INTO alert_rules (shop_id, rule_id, scope, metric, comparison, threshold, "
                "time_window, min_sample, cooldown_seconds) VALUES (:s, 'conv', 'agent', "
                "'inquiry_conversion_rate', 'lt', 0.5, 'today', 4, 0)"
            ),
            {"s": SHOP},
        )

    # 4 inquiries, 1 paid: conversion 0.25 < 0.5 with the minimum sample of 4 → breached.
    # One reply says 不知道 (forbidden, notify on); a bot message an hour later moves the
    # watermark past the 30-minute gap, so the sessions close and are QA-scored.
    first = [e for i, b in enumerate("wxyz") for e in inquiry(b, i, paid=(b == "w"))]
    first.append(
        chat(
            SHOP,
            "x-bad",
            "x",
            "A",
            "agent",
            DAY + timedelta(minutes=2, seconds=20),
            "这个我也不知道",
        )
    )
    first.append(
        chat(SHOP, "tick-1", "bot-buyer", None, "bot", DAY + timedelta(hours=1), "店小蜜为您服务")
    )
    await ingest(engine, settings, first)
    await drain(engine, settings, GROUP)
    events = await outbox(engine)
    assert [t for t, _ in events].count("alert.breached") == 1, events
    assert [t for t, _ in events].count("qa.violation") == 1, events
    breached = next(d for t, d in events if t == "alert.breached")
    assert breached["agent_id"] == "A" and float(breached["value"]) == 0.25

    # Two more buyers pay for what they asked about: 3 of 4 → 0.75 → resolved, once. The
    # re-derived sessions keep their violation, which is not notified again.
    await ingest(
        engine,
        settings,
        order_paid("x", DAY + timedelta(hours=2))
        + order_paid("y", DAY + timedelta(hours=2, minutes=5)),
    )
    await drain(engine, settings, GROUP)
    types = [t for t, _ in await outbox(engine)]
    assert types.count("alert.breached") == 1
    assert types.count("alert.resolved") == 1
    assert types.count("qa.violation") == 1

    # A batch that would breach again (4 new unpaid inquiries: 3 of 8) but rolls back
    # queues nothing.
    again = [e for i, b in enumerate("stuv") for e in inquiry(b, 30 + i, paid=False)]
    await ingest_raw_only(engine, again)
    records = {
        topics.EVENTS: [
            ConsumerRecord(
                topics.EVENTS, 0, 10_000 + i, 0, 0, SHOP.encode(), orjson.dumps(e), None, 0, 0, ()
            )
            for i, e in enumerate(again)
        ]
    }
    before = await outbox(engine)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        await process_records(
            conn=conn,
            group_id="rolled-back",
            records=_by_tp(records),
            after_batch=[evaluate_after_batch],
        )
        inside = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM webhook_events"
                    " WHERE shop_id = :s AND type = 'alert.breached'"
                ),
                {"s": SHOP},
            )
        ).scalar_one()
        assert inside == 2  # the breach was written in the transaction ...
        await transaction.rollback()
    assert await outbox(engine) == before  # ... and is gone with it


def _by_tp(records: dict[str, list[ConsumerRecord]]) -> dict[Any, list[ConsumerRecord]]:
    return {TopicPartition(topic, 0): recs for topic, recs in records.items()}


async def ingest_raw_only(engine: AsyncEngine, events: list[dict[str, Any]]) -> None:
    await store_raw(engine, events)
