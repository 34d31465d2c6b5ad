"""Scoring's memory through a backlog: peak RSS of a `python -m services.scoring` process
that works through BENCH_MEMORY_EVENTS (default 1 000 000) events of the simulator's mix.

The events are stored in the raw tables and put on cs.events.v1 first (as ingest leaves
them, in chunks, so the bench itself never holds them all), then one scoring process
starts in a fresh group and database and is sampled (psutil, every 0.25 s) until its
offsets in Postgres reach the end of the topic. `python -m bench.memory_bench [N]` runs it
alone; `BENCH_MEMORY_EVENTS=0` leaves the row out of `make bench`.

What bounds the caches: the timeline cache (services/scoring/timeline_cache.py, at most
CAPACITY buyers, least recently used out), the input memo (input_memo.py, CAPACITY
buyers, ~100 bytes each), and a batch's records (SCORING_MAX_RECORDS). A batch's own
objects go when it commits; nothing else grows with the backlog.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import create_async_engine

from bench.databases import bench_databases
from bench.infra import database
from bench.scoring_bench import _committed, _produce, _valid, store_raw
from bench.table import Table
from bench.traffic import bench_config
from services.scoring import input_memo, timeline_cache
from shared import topics
from shared.embedded import EmbeddedKafka
from shared.kafka import ensure_topics
from shared.settings import Settings
from shared.simulator import generate

CHUNK = 50_000
AIM_MB = 500


def _chunks(count: int) -> Iterator[list[dict[str, Any]]]:
    config = bench_config(datetime.now(UTC), id_prefix=f"m{uuid.uuid4().hex[:6]}")
    events = generate(config, count=count)
    while chunk := list(itertools.islice(events, CHUNK)):
        yield _valid(chunk, "")


async def load(database_url: str, bootstrap: str, count: int, partitions: int) -> int:
    """The backlog: raw rows and records on cs.events.v1; returns the records put."""
    settings = Settings(database_url=database_url, kafka_bootstrap_servers=bootstrap)
    await ensure_topics(settings, topics.ALL, partitions=partitions)
    engine = create_async_engine(settings.require_database_url())
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    put = 0
    try:
        for bodies in _chunks(count):
            await store_raw(engine, bodies)
            await _produce(producer, topics.EVENTS, bodies)
            put += len(bodies)
    finally:
        await producer.stop()
        await engine.dispose()
    return put


async def peak_rss(database_url: str, bootstrap: str, records: int) -> dict[str, Any]:
    """Run one scoring process over the backlog; its peak RSS and how long it took."""
    import psutil

    group = f"mem-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SCORING_GROUP_ID": group,
        "SCORING_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }
    engine = create_async_engine(database_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.scoring", env=env
    )
    peak = 0
    started = time.perf_counter()
    try:
        watched = psutil.Process(process.pid)
        while await _committed(engine, group, topics.EVENTS) < records:
            if process.returncode is not None:
                raise RuntimeError(f"scoring exited with {process.returncode}")
            peak = max(peak, watched.memory_info().rss)
            await asyncio.sleep(0.25)
        peak = max(peak, watched.memory_info().rss)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 60)
        await engine.dispose()
    seconds = time.perf_counter() - started
    return {
        "records": records,
        "peak_rss_mb": round(peak / 2**20),
        "seconds": round(seconds, 1),
        "events_per_s": round(records / seconds),
    }


async def run(database_url: str, count: int, partitions: int) -> dict[str, Any]:
    """On this database server (a fresh database) and a broker of its own."""
    kafka = EmbeddedKafka()
    bootstrap = kafka.start()
    try:
        with bench_databases(database_url) as fresh:
            url = fresh()
            records = await load(url, bootstrap, count, partitions)
            return await peak_rss(url, bootstrap, records)
    finally:
        kafka.stop()


def events_from_env() -> int:
    return int(os.environ.get("BENCH_MEMORY_EVENTS", "1000000"))


def add_row(table: Table, result: dict[str, Any]) -> None:
    table.add(
        "scoring RSS through a backlog",
        result["peak_rss_mb"],
        "MB",
        f"peak, 1 process, {result['records']:,} events waiting at start; aim < {AIM_MB} MB; "
        f"caches: timelines ≤ {timeline_cache.CAPACITY:,} buyers and "
        f"{timeline_cache.EVENT_CAPACITY:,} events, "
        f"memo ≤ {input_memo.CAPACITY:,} buyers; took {result['seconds']} s",
    )


async def rows(table: Table, context: dict[str, Any]) -> None:
    count = events_from_env()
    if count:
        result = await run(context["database_url"], count, context["partitions"])
        print(f"  memory run: {result}", flush=True)
        add_row(table, result)


async def _standalone(count: int) -> None:
    with database("kefu-mem-") as database_url:
        result = await run(database_url, count, 8)
    print(result)
    table = Table()
    add_row(table, result)
    print(table.render())


if __name__ == "__main__":
    asyncio.run(_standalone(int(sys.argv[1]) if len(sys.argv) > 1 else events_from_env()))
