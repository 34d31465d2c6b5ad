"""Rescore at scale: one shop with BENCH_RESCORE_EVENTS (default 1 000 000) raw events,
rebuilt by `services.scoring.rescore.run_rescore` (what a scoring process runs for a
queued job, with its default SCORING_RESCORE_WORKERS processes deriving), timed from
start to the swap's commit.

Two rescores: the first builds the shop's numbers, the second (new session and slow-reply
settings, so other numbers) is the one measured while a reader polls the shop's
`agent_daily` totals and the job's progress every 50 ms: the reader must only ever see the
old totals or the new ones, never a mix, and the progress must move. `python -m
bench.rescore_bench [N]` runs it alone; `BENCH_RESCORE_EVENTS=0` leaves the row out.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.databases import bench_databases
from bench.infra import database
from bench.scoring_bench import _valid, store_raw
from bench.table import Table
from services.scoring.repository import driver
from services.scoring.rescore import WORKERS, run_rescore
from shared.simulator import SimConfig, generate

CHUNK = 50_000
AIM = 30_000  # events/s
POLL_S = 0.05
NEW_SETTINGS = '{"session_gap_seconds": 900, "slow_reply_seconds": 20}'


def _config(shop: str, now: datetime) -> SimConfig:
    """One busy shop: 60 agents, 60 000 buyers over 30 days."""
    return SimConfig(
        seed=11,
        shop_ids=(shop,),
        agents_per_shop=60,
        buyers_per_shop=60_000,
        start=now - timedelta(days=30),
        now=now,
        arrivals_per_hour=3000,
        id_prefix=f"r{uuid.uuid4().hex[:6]}",
    )


async def load(engine: AsyncEngine, shop: str, count: int) -> int:
    events = generate(_config(shop, datetime.now(UTC)), count=count)
    stored = 0
    while chunk := list(itertools.islice(events, CHUNK)):
        bodies = _valid(chunk, "")
        await store_raw(engine, bodies)
        stored += len(bodies)
    return stored


async def _queue(engine: AsyncEngine, shop: str) -> str:
    job = uuid.uuid4().hex
    async with engine.begin() as conn:
        await (await driver(conn)).execute(
            "INSERT INTO rescore_jobs (shop_id, job_id, status) VALUES (%s, %s, 'queued')",
            (shop, job),
        )
    return job


async def _read(engine: AsyncEngine, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...]:
    async with engine.connect() as conn:
        cur = await (await driver(conn)).execute(sql, params)
        row = await cur.fetchone()
        await conn.rollback()
    return tuple(row) if row else ()


TOTALS = (
    "SELECT count(*), coalesce(sum(consultations), 0), coalesce(sum(inquiries), 0),"
    " coalesce(sum(slow_responses), 0) FROM agent_daily WHERE shop_id = %s"
)
PROGRESS = "SELECT status, events_done FROM rescore_jobs WHERE shop_id = %s AND job_id = %s"


async def rescore(engine: AsyncEngine, shop: str, *, watch: bool) -> dict[str, Any]:
    """One rescore; with `watch`, what a reader saw meanwhile."""
    job = await _queue(engine, shop)
    totals_seen: set[tuple[Any, ...]] = {await _read(engine, TOTALS, (shop,))}
    progress_seen: set[int] = set()
    started = time.perf_counter()
    task = asyncio.create_task(run_rescore(engine=engine, shop_id=shop, job_id=job))
    while watch and not task.done():
        totals_seen.add(await _read(engine, TOTALS, (shop,)))
        status, done = await _read(engine, PROGRESS, (shop, job))
        if status == "running":
            progress_seen.add(int(done))
        await asyncio.sleep(POLL_S)
    await task
    seconds = time.perf_counter() - started
    status, done = await _read(engine, PROGRESS, (shop, job))
    if status != "done":
        raise RuntimeError(f"rescore ended {status}")
    return {
        "seconds": seconds,
        "events": int(done),
        "totals_seen": totals_seen,
        "final": await _read(engine, TOTALS, (shop,)),
        "progress_steps": len(progress_seen),
    }


async def run(database_url: str, count: int) -> dict[str, Any]:
    with bench_databases(database_url) as fresh:
        engine = create_async_engine(fresh(), pool_size=4)
        try:
            shop = "rescore-shop"
            stored = await load(engine, shop, count)
            first = await rescore(engine, shop, watch=False)
            async with engine.begin() as conn:
                await (await driver(conn)).execute(
                    "UPDATE shops SET settings = settings || %s::jsonb WHERE shop_id = %s",
                    (NEW_SETTINGS, shop),
                )
            old = first["final"]
            second = await rescore(engine, shop, watch=True)
        finally:
            await engine.dispose()
    mixed = second["totals_seen"] - {old, second["final"]}
    return {
        "stored": stored,
        "first_events_per_s": round(first["events"] / first["seconds"]),
        "events_per_s": round(second["events"] / second["seconds"]),
        "seconds": round(second["seconds"], 1),
        "reader_saw": len(second["totals_seen"]),
        "reader_saw_a_mix": bool(mixed),
        "numbers_changed": old != second["final"],
        "progress_steps": second["progress_steps"],
    }


def events_from_env() -> int:
    return int(os.environ.get("BENCH_RESCORE_EVENTS", "1000000"))


def add_row(table: Table, result: dict[str, Any]) -> None:
    check = (
        "a reader saw a MIX of old and new"
        if result["reader_saw_a_mix"]
        else ("a reader saw only old or new totals")
    )
    table.add(
        "rescore one shop",
        result["events_per_s"],
        "events/s",
        f"{result['stored']:,} raw events, {WORKERS} deriving processes, aim ≥ {AIM:,}; {check};"
        f" progress moved "
        f"{result['progress_steps']} times; first build {result['first_events_per_s']:,}/s",
    )


async def rows(table: Table, context: dict[str, Any]) -> None:
    count = events_from_env()
    if count:
        result = await run(context["database_url"], count)
        print(f"  rescore run: {result}", flush=True)
        add_row(table, result)


async def _standalone(count: int) -> None:
    with database("kefu-rescore-") as database_url:
        result = await run(database_url, count)
    print(result)
    table = Table()
    add_row(table, result)
    print(table.render())


if __name__ == "__main__":
    asyncio.run(_standalone(int(sys.argv[1]) if len(sys.argv) > 1 else events_from_env()))
