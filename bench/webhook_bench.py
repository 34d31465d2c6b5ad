"""Webhook dispatcher bench (issue #18): deliveries per second to fast receivers, alone
and with one subscription whose receiver hangs (never answers) holding 50 000 queued
deliveries that are all due before the others.

One in-process dispatcher with its defaults (20 slots, 4 per subscription, 10 s timeout)
delivers SHOPS × PER_SHOP events, one subscription per shop, to a receiver in a process
of its own (a bare asyncio HTTP/1.1 server answering 200 at once). rows/s is the
deliveries over the time from the dispatcher's start to the last one recorded delivered.
With the hanging subscription, the rate of the others should be the same minus its 4
slots: no head-of-line blocking.

`python -m bench.webhook_bench` runs it alone (embedded Postgres unless DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import socket
import time
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from statistics import median
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.databases import bench_databases
from bench.infra import database
from services.webhooks.dispatcher import Dispatcher, http_client
from services.webhooks.metrics import DispatchMetrics
from services.webhooks.outbox import OutboxEvent, enqueue_events
from services.webhooks.settings import WebhookSettings
from services.webhooks.subscriptions import create_subscription
from shared.db import create_engine, session_factory
from shared.settings import Settings

if TYPE_CHECKING:
    from bench.table import Table

SHOPS = int(os.environ.get("WEBHOOK_BENCH_SHOPS", "10"))
PER_SHOP = int(os.environ.get("WEBHOOK_BENCH_PER_SHOP", "500"))
QUEUED = int(os.environ.get("WEBHOOK_BENCH_QUEUED", "50000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)  # the events' created_at: any time will do

_OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def _serve(sock: socket.socket, answer: bool) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if not answer:  # hang: read on, never answer
                    await reader.read()
                    return
                writer.write(_OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    await server.serve_forever()


def _receiver(sock: socket.socket, answer: bool) -> None:
    asyncio.run(_serve(sock, answer))


def _start_receiver(answer: bool) -> tuple[BaseProcess, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    proc = multiprocessing.get_context("fork").Process(
        target=_receiver, args=(sock, answer), daemon=True
    )
    proc.start()
    return proc, f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


async def _shop(engine: AsyncEngine, shop_id: str, url: str, events: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO shops (shop_id, name) VALUES (:s, :s)"), {"s": shop_id}
        )
        await create_subscription(
            session=conn,
            shop_id=shop_id,
            url=url,
            event_types=["qa.violation"],
            allow_private=True,
        )
    for start in range(0, events, 10_000):
        batch = [
            OutboxEvent("qa.violation", {"n": i}, f"evt_{shop_id}_{i}")
            for i in range(start, min(events, start + 10_000))
        ]
        async with engine.begin() as conn:
            await enqueue_events(session=conn, shop_id=shop_id, events=batch, now=NOW)


async def _delivered(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        n = await conn.scalar(
            text(
                "SELECT count(*) FROM webhook_deliveries"
                " WHERE status = 'delivered' AND shop_id LIKE 'bench-fast-%'"
            )
        )
    return int(n or 0)


async def _one(database_url: str, fast: str, hanging: str | None) -> float:
    """Deliveries/s of the fast shops (with the hanging one queued first, if given)."""
    engine = create_engine(Settings(database_url=database_url), pool_size=24)
    try:
        if hanging is not None:
            await _shop(engine, "bench-hangs", hanging, QUEUED)
        for i in range(SHOPS):
            await _shop(engine, f"bench-fast-{i}", fast, PER_SHOP)
        settings = WebhookSettings(poll_seconds=0.05)
        total = SHOPS * PER_SHOP
        async with http_client(settings) as client:
            dispatcher = Dispatcher(
                factory=session_factory(engine),
                settings=settings,
                allow_private=True,
                metrics=DispatchMetrics(CollectorRegistry()),
                client=client,
            )
            stop = asyncio.Event()
            started = time.perf_counter()
            task = asyncio.create_task(dispatcher.run(stop))
            while await _delivered(engine) < total:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
            seconds = time.perf_counter() - started
            stop.set()
            await task
        return total / seconds
    finally:
        await engine.dispose()


def run(server_url: str) -> dict[str, Any]:
    fast_proc, fast = _start_receiver(answer=True)
    hang_proc, hanging = _start_receiver(answer=False)
    alone: list[float] = []
    crowded: list[float] = []
    try:
        with bench_databases(server_url) as fresh:
            for _ in range(REPEATS):
                alone.append(asyncio.run(_one(fresh(), fast, None)))
                crowded.append(asyncio.run(_one(fresh(), fast, hanging)))
    finally:
        for proc in (fast_proc, hang_proc):
            proc.kill()
            proc.join()
    return {
        "deliveries": SHOPS * PER_SHOP,
        "alone_per_s": round(median(alone), 1),
        "with_hanging_per_s": round(median(crowded), 1),
        "hanging_queued": QUEUED,
    }


async def rows(table: Table, context: dict[str, Any]) -> None:
    """The harness's rows (bench/__main__.py)."""
    r = await asyncio.to_thread(run, context["database_url"])
    note = f"{r['deliveries']:,} deliveries, {SHOPS} shops, 20 slots, 4 per subscription"
    table.add("webhook dispatcher: deliveries", r["alone_per_s"], "deliveries/s", note)
    table.add(
        "webhook dispatcher: deliveries beside a hanging receiver",
        r["with_hanging_per_s"],
        "deliveries/s",
        f"{r['hanging_queued']:,} due first for a receiver that never answers; "
        f"target ≥ 70 % of the row above (it holds 4 of 20 slots)",
    )


def main() -> None:
    with database("kefu-webhook-bench-") as database_url:
        print(json.dumps(run(database_url), indent=2))


if __name__ == "__main__":
    main()
