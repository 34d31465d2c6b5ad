"""One long-running worker with its timeline cache equals the batch recomputation.

The cache is only safe because ingest stores an event before forwarding it; these tests
make that gap as wide as it gets: each round stores the next round's events before
forwarding this round's, order events carried by other buyers join timelines, and
duplicates are forwarded again.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import rederive
from services.scoring.timeline_cache import TimelineCache
from shared.settings import Settings
from tests.scoring.stream import (
    expected_facts,
    expected_rollups,
    generate,
    produce,
    read_facts,
    read_rollups,
    register_shop,
    running_worker,
    store_raw,
    wait_caught_up,
)


def _appended() -> float:
    return REGISTRY.get_sample_value("scoring_timeline_events_appended_total") or 0.0


def _misses() -> float:
    return REGISTRY.get_sample_value("scoring_timeline_cache_misses_total") or 0.0


def _gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


def _cross_buyer(events: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Give a third of the non-placing order events another buyer's id: the order still
    belongs to the buyer of its placing event, whose timeline must take them in."""
    buyers = sorted({e["buyer_id"] for e in events})
    out = []
    for e in events:
        if e["type"] in ("order.paid", "order.refunded", "order.cancelled") and rng.random() < 0.33:
            e = {**e, "buyer_id": rng.choice(buyers)}
        out.append(e)
    return out


async def test_stored_ahead_rounds_equal_batch(engine: AsyncEngine, settings: Settings) -> None:
    await _stored_ahead_rounds(engine, settings, "shop-cache", None)


async def test_a_cache_trimmed_inside_each_batch_still_equals_batch(
    engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 4 buyers and room for 60 events: timelines are evicted between a batch's
    chunks (after their top-up, before their derivation) and read again."""
    monkeypatch.setattr(rederive, "CHUNK_BUYERS", 4)
    await _stored_ahead_rounds(engine, settings, "shop-cache-small", TimelineCache(100, 60))


async def _stored_ahead_rounds(
    engine: AsyncEngine, settings: Settings, shop: str, cache: TimelineCache | None
) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    rng = random.Random(23)
    events = _cross_buyer(generate(23, shop, 2500, buyers=40, agents=3), rng)
    rng.shuffle(events)
    rounds = [events[i : i + 500] for i in range(0, len(events), 500)]
    appended_before, misses_before = _appended(), _misses()
    async with running_worker(engine, settings, group) as (worker, _):
        if cache is not None:
            worker.timelines = cache  # before any record: nothing was cached yet
        await store_raw(engine, rounds[0])
        for i, batch in enumerate(rounds):
            if i + 1 < len(rounds):
                # Ingest runs ahead: the next round is stored before this one arrives.
                await store_raw(engine, rounds[i + 1])
            await produce(settings, batch + rng.sample(events[: (i + 1) * 500], 50))
            await wait_caught_up(engine, settings, group)
        assert len(worker.timelines) > 0
        assert worker.timelines.events <= worker.timelines.event_capacity
        # What the cache holds is exported after each batch (docs/operations.md).
        assert _gauge("scoring_timeline_cache_buyers") == len(worker.timelines)
        assert _gauge("scoring_timeline_cache_events") == worker.timelines.events
        assert _gauge("scoring_input_memo_buyers") == len(worker.memo)
    if cache is None:
        assert _appended() > appended_before  # records were taken into cached timelines
    else:  # evicted timelines were read whole again: more reads than there are buyers
        assert _misses() - misses_before > len({e["buyer_id"] for e in events})
    agents, shops = await read_rollups(engine, shop)
    assert (agents, shops) == expected_rollups(events, shop)
    assert await read_facts(engine, shop) == expected_facts(events, shop)


async def test_records_before_storage_complete_at_the_end(
    engine: AsyncEngine, settings: Settings
) -> None:
    """Timelines are cached from a database that holds only part of the events; every
    later event arrives as a record after it is stored, and the result is whole."""
    shop, group = "shop-cache-late", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    rng = random.Random(29)
    events = _cross_buyer(generate(29, shop, 1500, buyers=25, agents=3), rng)
    rng.shuffle(events)
    async with running_worker(engine, settings, group):
        for start in range(0, len(events), 150):
            chunk = events[start : start + 150]
            await store_raw(engine, chunk)
            await produce(settings, chunk)
            await wait_caught_up(engine, settings, group)
    assert await read_rollups(engine, shop) == expected_rollups(events, shop)
    assert await read_facts(engine, shop) == expected_facts(events, shop)
