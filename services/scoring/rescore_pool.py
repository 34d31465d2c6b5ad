"""A rescore's worker processes: chunks of buyers derived on several cores.

Buyers are independent (the core derives each from its own timeline), so a rescore's
chunks can derive in parallel. Each worker process opens its own connection, reads the
raw events in the snapshot the rescore's transaction exported (every worker sees the
same events, as of the rebuild's start), derives a chunk (rescore_chunks.py) and sends it
back as plain data: COPY bytes, rollup sums, violation records. Only the rescore's one
transaction writes, so readers still see all old or all new numbers.

Workers are spawned (not forked: a forked child would share the parent's connections and
event loop), one pool per rescore; chunks come back in the order they were handed out,
a few ahead per worker.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
from collections import deque
from collections.abc import AsyncGenerator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from services.scoring.repository import Pg, ShopContext, read_timestamps_in_utc
from services.scoring.rescore_chunks import Chunk, derive_chunk

AHEAD = 2  # chunks handed out per worker beyond the one it works on

# The worker process's own state, set by _start (one rescore per pool).
_WORKER: dict[str, Any] = {}


def _start(
    conninfo: str, snapshot: str, shop: ShopContext, watermark: datetime, violations: bool
) -> None:
    # What the imports left is never garbage: out of the collector's way. A chunk's own
    # objects are freed by reference counting as soon as it is sent.
    gc.freeze()
    loop = asyncio.new_event_loop()
    pg = loop.run_until_complete(_connect(conninfo, snapshot))
    _WORKER.update(loop=loop, pg=pg, shop=shop, watermark=watermark, violations=violations)


async def _connect(conninfo: str, snapshot: str) -> Pg:
    pg = await psycopg.AsyncConnection.connect(conninfo)
    await pg.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
    await pg.set_read_only(True)
    await pg.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
    await read_timestamps_in_utc(pg=pg)  # as the rescore's transaction reads them
    return pg


def _chunk(buyers: list[str]) -> Chunk:
    w = _WORKER
    return w["loop"].run_until_complete(  # type: ignore[no-any-return]
        derive_chunk(
            pg=w["pg"],
            shop=w["shop"],
            watermark=w["watermark"],
            buyers=buyers,
            violations=w["violations"],
        )
    )


async def pooled_chunks(
    *,
    conninfo: str,
    snapshot: str,
    shop: ShopContext,
    watermark: datetime,
    batches: Iterable[list[str]],
    workers: int,
    violations: bool,
) -> AsyncGenerator[Chunk, None]:
    """Each batch of buyers derived by one of `workers` processes, in batch order."""
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(conninfo, snapshot, shop, watermark, violations),
    )
    todo: Iterator[list[str]] = iter(batches)
    running: deque[asyncio.Future[Chunk]] = deque()
    try:
        for batch in todo:
            running.append(loop.run_in_executor(pool, _chunk, batch))
            if len(running) >= workers * (1 + AHEAD):
                break
        while running:
            chunk = await running.popleft()
            if (following := next(todo, None)) is not None:
                running.append(loop.run_in_executor(pool, _chunk, following))
            yield chunk
    finally:
        for future in running:
            future.cancel()
        # Joining the processes blocks: not on the event loop.
        await loop.run_in_executor(None, lambda: pool.shutdown(wait=True, cancel_futures=True))
