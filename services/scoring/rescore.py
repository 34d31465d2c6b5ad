"""Rescore one shop from its raw events (admin rescore; SPEC §3: settings changed).

The rebuild happens in ONE transaction under the shop's advisory lock: the shop's derived
rows are deleted and rebuilt, and readers see either all old or all new numbers. Progress
(buyers_done/total, events_done/total) goes through a separate autocommit connection so
that readers watch it move; rate and time left are computed from those at read time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.violations import BuyerViolations, ViolationReport
from services.scoring import metrics
from services.scoring.derivation import from_record
from services.scoring.facts_store import delete_shop, write_copies
from services.scoring.hooks import AfterBatch
from services.scoring.repository import (
    Pg,
    ShopContext,
    driver,
    latest,
    load_shops,
    lock_shops,
    read_timestamps_in_utc,
    stored_event_times,
    upsert_agents,
)
from services.scoring.rescore_chunks import Chunk, derive_chunk
from services.scoring.rescore_pool import pooled_chunks
from services.scoring.rollups import RollupDeltas, apply_deltas
from services.scoring.timeline_loader import shop_buyers
from shared.db import DATABASE_UNAVAILABLE, libpq_conninfo
from shared.logging import get_logger
from shared.rollup_version import bump_rollup_version

log = get_logger(__name__)

CHUNK_BUYERS = 2000
POLL_SECONDS = 2.0
WORKERS = 2  # processes deriving a large shop (SCORING_RESCORE_WORKERS)
# Below this many raw events a rescore derives in its own process: starting the workers
# (~1 s each, imports) would cost more than they save.
PARALLEL_FROM_EVENTS = 100_000


async def _progress(
    engine: AsyncEngine, shop_id: str, job_id: str, sql: str, params: dict[str, Any]
) -> None:
    """Autocommit update of the job row, visible at once (outside the rebuild)."""
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        pg = await driver(auto)
        await pg.execute(
            f"UPDATE rescore_jobs SET {sql} WHERE shop_id = %(shop)s AND job_id = %(job)s",
            {"shop": shop_id, "job": job_id, **params},
        )


async def _totals(pg: Pg, shop_id: str) -> int:
    cur = await pg.execute(
        "SELECT (SELECT count(*) FROM chat_messages WHERE shop_id = %(s)s)"
        " + (SELECT count(*) FROM order_events WHERE shop_id = %(s)s)"
        " + (SELECT count(*) FROM review_events WHERE shop_id = %(s)s)",
        {"s": shop_id},
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _watermark(pg: Pg, shop: ShopContext) -> datetime | None:
    """The stored watermark or, if later, the latest stored raw event's time: the same
    watermark a streaming batch of the shop would derive under (batch_processor.py)."""
    raw = await stored_event_times(pg=pg, shop_ids=[shop.shop_id])
    return latest(shop.watermark, raw.get(shop.shop_id))


async def _with_stored_agents(pg: Pg, shop: ShopContext) -> ShopContext:
    """The shop's agents as SPEC §11 has them (agent_ids on its stored chat messages, any
    sender), registered: a rescore may run before the stream brought them (good reviews
    name them)."""
    cur = await pg.execute(
        "SELECT DISTINCT agent_id FROM chat_messages WHERE shop_id = %s AND agent_id IS NOT NULL",
        (shop.shop_id,),
    )
    stored = {row[0] for row in await cur.fetchall()}
    await upsert_agents(pg=pg, agents=[(shop.shop_id, a) for a in stored])
    return replace(shop, agents=shop.agents | stored)


async def _rebuild(
    engine: AsyncEngine, pg: Pg, shop: ShopContext, job_id: str, *, workers: int, hooks: bool
) -> tuple[RollupDeltas, list[BuyerViolations]]:
    """Delete and rebuild the shop's derived rows; the rollups written and (with `hooks`)
    the violations of every buyer that has any (for the after-batch hooks)."""
    shop_id = shop.shop_id
    buyers = await shop_buyers(pg=pg, shop_id=shop_id)
    events_total = await _totals(pg, shop_id)
    await _progress(
        engine,
        shop_id,
        job_id,
        "buyers_total = %(b)s, events_total = %(e)s, buyers_done = 0, events_done = 0",
        {"b": len(buyers), "e": events_total},
    )
    metrics.RESCORE_BUYERS_TOTAL.labels(shop_id).set(len(buyers))
    watermark = await _watermark(pg, shop)
    shop = await _with_stored_agents(pg, shop)
    deltas = RollupDeltas()
    violations: list[BuyerViolations] = []
    started = time.perf_counter()
    phases: dict[str, float] = {}
    # No raw event: no watermark, nothing to derive (the old rows still go).
    batches = [buyers[i : i + CHUNK_BUYERS] for i in range(0, len(buyers), CHUNK_BUYERS)]
    done_buyers = done_events = 0
    deleted = False
    async with contextlib.aclosing(
        _chunks(
            engine, pg, shop, watermark, batches, workers=workers, hooks=hooks, events=events_total
        )
    ) as chunks:
        async for chunk in chunks:
            if not deleted:
                # Once the first chunk is in: worker processes derive the next ones
                # meanwhile (derivation reads only the raw tables).
                phases["first_chunk_s"] = time.perf_counter() - started
                await delete_shop(pg=pg, shop_id=shop_id)
                phases["delete_s"] = time.perf_counter() - started - phases["first_chunk_s"]
                deleted = True
            await write_copies(pg=pg, copies=chunk.copies)
            deltas.merge(chunk.deltas)
            violations.extend(map(from_record, chunk.violations))
            done_buyers += chunk.buyers
            done_events += chunk.events
            await _progress(
                engine,
                shop_id,
                job_id,
                "buyers_done = %(b)s, events_done = %(e)s",
                {"b": done_buyers, "e": min(done_events, events_total)},
            )
            metrics.RESCORE_BUYERS_DONE.labels(shop_id).set(done_buyers)
    if not deleted:
        await delete_shop(pg=pg, shop_id=shop_id)
    phases["chunks_s"] = time.perf_counter() - started
    await apply_deltas(pg=pg, deltas=deltas)
    phases["rollups_s"] = time.perf_counter() - started - phases["chunks_s"]
    log.info(
        "rescore_rebuilt",
        shop_id=shop_id,
        buyers=done_buyers,
        chunks=len(batches),
        **{k: round(v, 2) for k, v in phases.items()},
    )
    return deltas, violations


async def _chunks(
    engine: AsyncEngine,
    pg: Pg,
    shop: ShopContext,
    watermark: datetime | None,
    batches: list[list[str]],
    *,
    workers: int,
    hooks: bool,
    events: int,
) -> AsyncGenerator[Chunk, None]:
    """The batches derived: by `workers` processes reading the transaction's snapshot when
    the shop is large enough to repay starting them, else here on `pg`."""
    if watermark is None:
        return
    if workers > 1 and len(batches) > 1 and events >= PARALLEL_FROM_EVENTS:
        snapshot = await (await pg.execute("SELECT pg_export_snapshot()")).fetchone()
        assert snapshot is not None
        conninfo = libpq_conninfo(engine.url.render_as_string(hide_password=False))
        async with contextlib.aclosing(
            pooled_chunks(
                conninfo=conninfo,
                snapshot=snapshot[0],
                shop=shop,
                watermark=watermark,
                batches=batches,
                workers=workers,
                violations=hooks,
            )
        ) as pooled:
            async for chunk in pooled:
                yield chunk
        return
    for batch in batches:
        yield await derive_chunk(
            pg=pg, shop=shop, watermark=watermark, buyers=batch, violations=hooks
        )


async def run_rescore(
    *,
    engine: AsyncEngine,
    shop_id: str,
    job_id: str,
    after_batch: Sequence[AfterBatch] = (),
    workers: int = WORKERS,
) -> None:
    """Recompute every buyer of the shop and swap the results in atomically.

    `after_batch`: the scoring batch's hooks, run in the rebuild's transaction with the
    whole shop's violations (so that notified violations a rescore removed are withdrawn)
    and every agent day rebuilt. `workers`: processes deriving a large shop's buyers
    (rescore_pool.py); 1 derives them all in this process.

    Marks the job running, then done (or failed with the error); never raises for a
    failure of the rebuild itself, which is recorded on the job instead.
    """
    await _progress(
        engine,
        shop_id,
        job_id,
        "status = 'running', started_at = COALESCE(started_at, now()), error = NULL",
        {},
    )
    log.info("rescore_started", shop_id=shop_id, job_id=job_id)
    try:
        async with engine.begin() as conn:
            pg = await driver(conn)
            await read_timestamps_in_utc(pg=pg)  # as a scoring batch reads them
            await lock_shops(pg=pg, shop_ids=[shop_id])
            shop = (await load_shops(pg=pg, shop_ids=[shop_id])).get(shop_id)
            if shop is None:
                raise LookupError(f"shop {shop_id!r} is not registered")
            deltas, violations = await _rebuild(
                engine, pg, shop, job_id, workers=workers, hooks=bool(after_batch)
            )
            await bump_rollup_version(session=conn, shop_ids=[shop_id])
            report = ViolationReport(tuple(violations), whole_shop=True)
            days = {(agent, day) for _, agent, day in deltas.agent_days}
            now = datetime.now(UTC)
            for hook in after_batch:
                await hook(
                    session=conn,
                    shop_id=shop_id,
                    changed_agent_days=days,
                    violations=report,
                    now=now,
                )
    except Exception as exc:
        log.exception("rescore_failed", shop_id=shop_id, job_id=job_id)
        await _progress(
            engine,
            shop_id,
            job_id,
            "status = 'failed', error = %(err)s, finished_at = now()",
            {"err": f"{type(exc).__name__}: {exc}"[:2000]},
        )
        metrics.RESCORES.labels("failed").inc()
        return
    await _progress(
        engine,
        shop_id,
        job_id,
        "status = 'done', buyers_done = buyers_total, events_done = events_total,"
        " finished_at = now()",
        {},
    )
    metrics.RESCORES.labels("done").inc()
    log.info("rescore_done", shop_id=shop_id, job_id=job_id)


# Advisory-lock namespace of rescore jobs: a runner holds its job's session lock while it
# works, so a job still 'running' whose lock nobody holds lost its runner (a crash).
JOB_LOCK_NS = 7431
_JOB_KEY = "hashtext(j.shop_id || '/' || j.job_id)"
_CANDIDATE = f"""
    SELECT j.shop_id, j.job_id FROM rescore_jobs j
    WHERE j.status = 'queued'
       OR (j.status = 'running' AND NOT EXISTS (
            SELECT 1 FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
              AND l.classid = {JOB_LOCK_NS}::oid
              AND l.objid = ({_JOB_KEY}::bigint & 4294967295)::oid))
    ORDER BY j.created_at LIMIT 1 FOR UPDATE SKIP LOCKED
"""


@contextlib.asynccontextmanager
async def claimed_job(*, engine: AsyncEngine) -> AsyncIterator[tuple[str, str] | None]:
    """Take the oldest queued job, or a running one whose runner died, and hold it.

    SKIP LOCKED lets several scoring processes poll; the job's session-level advisory lock
    (held on this connection until the block ends) tells the others it is being worked on.
    The psycopg connection's own transactions are used: SQLAlchemy's wrapper never began one.
    """
    async with engine.connect() as conn:
        pg = await driver(conn)
        row = await (await pg.execute(_CANDIDATE)).fetchone()
        key = {"ns": JOB_LOCK_NS, "shop": row[0], "job": row[1]} if row else None
        if key is None or not await _try_lock(pg, key):
            await pg.rollback()
            yield None
            return
        await pg.execute(
            "UPDATE rescore_jobs SET status = 'running', started_at = COALESCE(started_at,"
            " now()) WHERE shop_id = %(shop)s AND job_id = %(job)s",
            key,
        )
        await pg.commit()
        try:
            yield (key["shop"], key["job"])
        finally:
            await pg.execute(
                "SELECT pg_advisory_unlock(%(ns)s, hashtext(%(shop)s || '/' || %(job)s))", key
            )
            await pg.commit()


async def _try_lock(pg: Pg, key: dict[str, Any]) -> bool:
    cur = await pg.execute(
        "SELECT pg_try_advisory_lock(%(ns)s, hashtext(%(shop)s || '/' || %(job)s))", key
    )
    row = await cur.fetchone()
    return bool(row and row[0])


async def poll_jobs(
    *,
    engine: AsyncEngine,
    stop: asyncio.Event,
    interval: float = POLL_SECONDS,
    after_batch: Sequence[AfterBatch] = (),
    workers: int = WORKERS,
) -> None:
    """Run queued rescore jobs one at a time until `stop` is set."""
    while not stop.is_set():
        try:
            async with claimed_job(engine=engine) as job:
                if job is not None:
                    await run_rescore(
                        engine=engine,
                        shop_id=job[0],
                        job_id=job[1],
                        after_batch=after_batch,
                        workers=workers,
                    )
            if job is not None:
                continue
        except DATABASE_UNAVAILABLE as exc:  # restarting: one line, poll again later
            log.warning("rescore_poll_failed", database_unavailable=repr(exc)[:200])
        except Exception:
            log.exception("rescore_poll_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
