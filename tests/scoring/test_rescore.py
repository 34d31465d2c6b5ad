"""Admin rescore: recompute a shop from its raw events under changed settings."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.settings import ShopSettings
from domain.violations import BuyerViolations, ViolationReport
from services.scoring.derivation import buyer_violations, from_record, violation_record
from services.scoring.repository import driver
from services.scoring.rescore import claimed_job, run_rescore
from services.scoring.timeline_loader import shop_buyers
from shared.settings import Settings
from tests.scoring.recompute import derive_all
from tests.scoring.stream import (
    drain,
    expected_facts,
    expected_rollups,
    expected_spreads,
    generate,
    ingest,
    read_facts,
    read_rollups,
    read_spreads,
    register_shop,
    store_raw,
    to_core,
)


async def _queue(engine: AsyncEngine, shop: str) -> str:
    job = uuid.uuid4().hex
    async with engine.begin() as conn:
        await (await driver(conn)).execute(
            "INSERT INTO rescore_jobs (shop_id, job_id, status) VALUES (%s, %s, 'queued')",
            (shop, job),
        )
    return job


async def _finish(engine: AsyncEngine, shop: str, job: str) -> None:
    async with engine.begin() as conn:
        await (await driver(conn)).execute(
            "UPDATE rescore_jobs SET status = 'done' WHERE shop_id = %s AND job_id = %s",
            (shop, job),
        )


async def _job(engine: AsyncEngine, shop: str, job: str) -> tuple[object, ...]:
    async with engine.connect() as conn:
        cur = await (await driver(conn)).execute(
            "SELECT status, buyers_done, buyers_total, events_done, events_total, error"
            " FROM rescore_jobs WHERE shop_id = %s AND job_id = %s",
            (shop, job),
        )
        row = await cur.fetchone()
        await conn.rollback()
    assert row is not None
    return tuple(row)


async def test_rescore_applies_new_settings_atomically(
    engine: AsyncEngine, settings: Settings, monkeypatch: object
) -> None:
    shop, group = "shop-rescore", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    events = generate(5, shop, 2500, buyers=80, agents=4)
    await ingest(engine, settings, events)
    await drain(engine, settings, group)
    old = await read_rollups(engine, shop)
    assert old == expected_rollups(events, shop)

    new_settings = {"session_gap_seconds": 600, "slow_reply_seconds": 10}
    await register_shop(engine, shop, new_settings)
    job = await _queue(engine, shop)
    async with claimed_job(engine=engine) as claimed:
        assert claimed == (shop, job)

    import services.scoring.rescore as rescore

    monkeypatch.setattr(rescore, "CHUNK_BUYERS", 10)  # type: ignore[attr-defined]
    seen: list[tuple[object, ...]] = []
    task = asyncio.create_task(run_rescore(engine=engine, shop_id=shop, job_id=job))
    while not task.done():
        status = await _job(engine, shop, job)
        seen.append(status)
        if status[0] == "running":
            # Readers see only the old numbers until the swap commits.
            assert await read_rollups(engine, shop) in (
                old,
                expected_rollups(events, shop, new_settings),
            )
        await asyncio.sleep(0.02)
    await task

    status = await _job(engine, shop, job)
    async with engine.connect() as conn:
        buyers = len(await shop_buyers(pg=await driver(conn), shop_id=shop))
        await conn.rollback()
    assert status[:5] == ("done", buyers, buyers, len(events), len(events))
    moving = {s[1] for s in seen if s[0] == "running"}
    assert len(moving) > 2, seen  # progress moved while the rebuild ran
    assert await read_rollups(engine, shop) == expected_rollups(events, shop, new_settings)
    assert await read_rollups(engine, shop) != old
    assert await read_facts(engine, shop) == expected_facts(events, shop, new_settings)
    assert await read_spreads(engine, shop) == expected_spreads(events, shop, new_settings)

    # Streaming continues from the rescored state.
    more = generate(6, shop, 500, buyers=80, agents=4, prefix="late")
    await ingest(engine, settings, more)
    await drain(engine, settings, group)
    assert await read_rollups(engine, shop) == expected_rollups(events + more, shop, new_settings)
    spreads = await read_spreads(engine, shop)
    assert spreads and spreads == expected_spreads(events + more, shop, new_settings)


async def test_rescore_of_unknown_shop_fails_the_job(engine: AsyncEngine) -> None:
    job = await _queue(engine, "no-such-shop")
    await run_rescore(engine=engine, shop_id="no-such-shop", job_id=job)
    status = await _job(engine, "no-such-shop", job)
    assert status[0] == "failed" and "not registered" in str(status[5])


async def test_a_running_job_whose_runner_died_is_claimed_again(engine: AsyncEngine) -> None:
    shop = "rescore-orphan"
    await register_shop(engine, shop)
    job = await _queue(engine, shop)
    async with claimed_job(engine=engine) as held:
        assert held == (shop, job)
        # While its runner holds it, other pollers pass over the running job: they take the
        # next queued one rather than stall behind it.
        await register_shop(engine, "rescore-next")
        queued = await _queue(engine, "rescore-next")
        async with claimed_job(engine=engine) as other:
            assert other == ("rescore-next", queued)
            async with claimed_job(engine=engine) as third:
                assert third is None
        await _finish(engine, "rescore-next", queued)
        assert (await _job(engine, shop, job))[0] == "running"
    # The runner is gone (its session lock released) and the job is still 'running', as
    # after a crash: the next poll takes it over instead of leaving it stuck for ever.
    async with claimed_job(engine=engine) as again:
        assert again == (shop, job)


def _held(buyer: BuyerViolations) -> tuple[object, ...]:
    return (buyer.notices, buyer.identities(), buyer.pending())


async def test_rescore_in_worker_processes_equals_the_same_in_one(
    engine: AsyncEngine, monkeypatch: object
) -> None:
    """A large shop's chunks derive in worker processes (rescore_pool.py) reading the
    rebuild's exported snapshot: the numbers, the facts and the hooks' violation report
    are those of a rescore deriving every chunk in its own process."""
    import services.scoring.rescore as rescore

    shop = "shop-rescore-pool"
    new_settings = {"session_gap_seconds": 600, "slow_reply_seconds": 10}
    await register_shop(engine, shop, new_settings)
    events = generate(8, shop, 3000, buyers=120, agents=4, reviews=0.3)
    await store_raw(engine, events)
    monkeypatch.setattr(rescore, "CHUNK_BUYERS", 25)  # type: ignore[attr-defined]
    monkeypatch.setattr(rescore, "PARALLEL_FROM_EVENTS", 0)  # type: ignore[attr-defined]
    reports: list[ViolationReport] = []

    async def hook(*, violations: ViolationReport, **_: object) -> None:
        reports.append(violations)

    for workers in (2, 1):
        job = await _queue(engine, shop)
        await run_rescore(
            engine=engine, shop_id=shop, job_id=job, after_batch=[hook], workers=workers
        )
        status = await _job(engine, shop, job)
        assert status[0] == "done" and status[3] == status[4] == len(events), status
        assert await read_rollups(engine, shop) == expected_rollups(events, shop, new_settings)
        assert await read_facts(engine, shop) == expected_facts(events, shop, new_settings)
        assert await read_spreads(engine, shop) == expected_spreads(events, shop, new_settings)

    pooled, single = ({b.buyer_id: _held(b) for b in r.buyers} for r in reports)
    assert all(r.whole_shop for r in reports)
    assert pooled == single and any(held[0] for held in pooled.values())


def test_violation_records_hold_what_buyer_violations_hold() -> None:
    """What a worker process sends for a buyer (plain values) reads back as the lazy
    BuyerViolations the scoring batch builds; a buyer with none is left out."""
    events = [to_core(e) for e in generate(9, "shop-vr", 2500, buyers=800, agents=3)]
    settings = {"shop-vr": ShopSettings.from_dict({"session_gap_seconds": 600})}
    derived = derive_all(events, settings)
    left_out = 0
    for (_, buyer), facts in derived.items():
        lazy = buyer_violations(buyer, facts)
        record = violation_record(buyer, facts)
        if record is None:
            left_out += 1
            assert _held(lazy) == ((), frozenset(), frozenset())
        else:
            assert _held(from_record(record)) == _held(lazy)
    assert 0 < left_out < len(derived)
