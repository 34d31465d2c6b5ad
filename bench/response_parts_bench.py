"""Live writes of response times (SPEC §11 runs, agent_responses) as an agent-day grows.

A live batch adds a few response times to each touched agent-day. What writing them
costs should not grow with what the day already holds (docs/throughput.md, "Live
traffic"). For each size, a fresh database whose AGENTS agent-days already hold `size`
response times each; then BATCHES batches, each adding PER_BATCH new ones to every
agent-day (as scoring applies a batch: `services.scoring.rollups._apply_spreads`, one
transaction, committed). Printed per size: the median and mean batch's wall time and the
mean WAL a batch wrote (pg_current_wal_lsn before and after).

    python -m bench.response_parts_bench            # DATABASE_URL, or an embedded Postgres

The same file runs against an older tree (same function), for a before/after.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from datetime import date

import psycopg

from bench.databases import bench_databases
from bench.infra import database
from domain.spread import ResponseTimes
from services.scoring.rollups import _apply_spreads
from shared.db import libpq_conninfo

AGENTS = int(os.environ.get("BENCH_AGENTS", "20"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "200"))
PER_BATCH = int(os.environ.get("BENCH_PER_BATCH", "10"))
SIZES = tuple(int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,50000").split(","))
DAY = date(2026, 11, 11)


def _times(rng: random.Random, n: int) -> ResponseTimes:
    out = ResponseTimes()
    for _ in range(n):
        out.add(rng.randint(1, 120_000_000), first=rng.random() < 0.2)
    return out


async def _wal(conn: psycopg.AsyncConnection) -> int:
    cursor = await conn.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def one_size(url: str, size: int) -> tuple[float, float, float]:
    """(median and mean ms per batch, mean WAL KB per batch) with agent-days of `size`
    values (the means include the batches that merge)."""
    rng = random.Random(size)
    keys = [("shop-bench", f"agent-{i:02d}", DAY) for i in range(AGENTS)]
    async with await psycopg.AsyncConnection.connect(libpq_conninfo(url)) as conn:
        for key in keys:
            await _apply_spreads(conn, {key: _times(rng, size)})
            await conn.commit()
        async with await psycopg.AsyncConnection.connect(
            libpq_conninfo(url), autocommit=True
        ) as other:
            await other.execute("VACUUM ANALYZE agent_responses")
        seconds, wal = [], []
        for _ in range(BATCHES):
            batch = {key: _times(rng, PER_BATCH) for key in keys}
            before, start = await _wal(conn), time.perf_counter()
            await _apply_spreads(conn, batch)
            await conn.commit()
            seconds.append(time.perf_counter() - start)
            wal.append(await _wal(conn) - before)
            await conn.rollback()  # _wal's own transaction
    ms = [s * 1000 for s in seconds]
    return statistics.median(ms), statistics.fmean(ms), statistics.fmean(wal) / 1024


def main() -> None:
    print(f"{AGENTS} agent-days, {BATCHES} batches of {PER_BATCH} new response times each")
    print(f"{'values held':>12}  {'median ms':>9}  {'mean ms':>8}  {'WAL KB (mean)':>13}")
    with database("kefu-parts-bench-") as server, bench_databases(server) as fresh:
        for size in SIZES:
            median, mean, kb = asyncio.run(one_size(fresh(), size))
            print(f"{size:>12,}  {median:>9.2f}  {mean:>8.2f}  {kb:>13.1f}", flush=True)


if __name__ == "__main__":
    main()
