"""Shared set-up for the webhook tests: a shop, a subscription, events in the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.webhooks.dispatcher import Dispatcher, http_client
from services.webhooks.metrics import DispatchMetrics
from services.webhooks.outbox import enqueue_event
from services.webhooks.settings import WebhookSettings
from services.webhooks.subscriptions import Subscription, create_subscription
from shared.db import session_factory
from shared.schema import shops, webhook_deliveries
from tests.fixtures.clock import NOW


async def shop_with_subscription(engine: AsyncEngine, shop_id: str, url: str) -> Subscription:
    async with engine.begin() as conn:
        await conn.execute(
            insert(shops).values(shop_id=shop_id, name=shop_id).on_conflict_do_nothing()
        )
        return await create_subscription(
            session=conn,
            shop_id=shop_id,
            url=url,
            event_types=["qa.violation"],
            allow_private=True,
        )


async def enqueue(engine: AsyncEngine, shop_id: str, n: int = 1) -> list[str]:
    """n qa.violation events, committed together."""
    ids = []
    async with engine.begin() as conn:
        for i in range(n):
            event_id = await enqueue_event(
                session=conn,
                shop_id=shop_id,
                type="qa.violation",
                data={"rule": "forbidden_words", "n": i},
                now=NOW,
            )
            assert event_id is not None
            ids.append(event_id)
    return ids


async def statuses(engine: AsyncEngine, shop_id: str) -> dict[str, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(webhook_deliveries.c.event_id, webhook_deliveries.c.status).where(
                webhook_deliveries.c.shop_id == shop_id
            )
        )
        return {r.event_id: r.status for r in rows}


async def attempts(engine: AsyncEngine, shop_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT delivery_id, attempt_no, status_code, error, duration_ms, finished_at "
                "FROM webhook_attempts WHERE shop_id = :s ORDER BY delivery_id, attempt_no"
            ),
            {"s": shop_id},
        )
        return [dict(r._mapping) for r in rows]


def dispatcher(engine: AsyncEngine, **tuning: Any) -> Dispatcher:
    settings = WebhookSettings(**{"poll_seconds": 0.02, **tuning})
    return Dispatcher(
        factory=session_factory(engine),
        settings=settings,
        allow_private=True,
        metrics=DispatchMetrics(CollectorRegistry()),
        client=http_client(settings),
    )


async def eventually(check: Callable[[], Awaitable[bool]], limit: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def run_until(
    d: Dispatcher, check: Callable[[], Awaitable[bool]], limit: float = 20.0
) -> None:
    """Run the real dispatcher loop until the check holds."""
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    try:
        await eventually(check, limit)
    finally:
        stop.set()
        await task
        await d.client.aclose()
