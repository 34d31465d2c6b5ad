"""The /v1/metrics response cache: keyed by shops.rollup_version, never stale."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.metrics.cache import MetricsCache, MetricsKey
from shared.rollup_version import bump_rollup_version
from shared.schema import agent_daily, shops

from .conftest import SEEDED_DAY, insert_agent_days, make_shop

MONTH = {"from": "2026-11-01", "to": "2026-11-30", "granularity": "month"}


async def _version(engine: AsyncEngine, shop_id: str) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(select(shops.c.rollup_version).where(shops.c.shop_id == shop_id))
            ).scalar_one()
        )


async def _set_inquiries(engine: AsyncEngine, shop_id: str, agent: str, value: int) -> None:
    """A rollup change that (wrongly) does not bump: shows what the cache serves."""
    async with engine.begin() as conn:
        await conn.execute(
            update(agent_daily)
            .where(agent_daily.c.shop_id == shop_id, agent_daily.c.agent_id == agent)
            .values(inquiries=value)
        )


async def _bump(engine: AsyncEngine, shop_id: str) -> None:
    async with engine.begin() as conn:
        await bump_rollup_version(session=conn, shop_ids=[shop_id])


def _inquiries(body: Any) -> list[int]:
    return [r["inquiries"] for r in body["rows"]]


async def poll_metrics(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    until: Callable[[Any], bool],
    params: dict[str, str] = MONTH,
    seconds: float = 30.0,
) -> Any:
    """/v1/metrics until its body satisfies `until`; fails after `seconds` (a bound for a
    loaded machine: how fast the change shows is the API benchmark's business)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        r = await client.get("/v1/metrics", params=params, headers=headers)
        assert r.status_code == 200, r.text
        if until(r.json()):
            return r.json()
        assert asyncio.get_running_loop().time() < deadline, f"still {r.json()}"
        await asyncio.sleep(0.01)


def _cache(app: FastAPI) -> MetricsCache:
    cache: MetricsCache = app.state.metrics_cache
    return cache


async def test_a_repeated_query_is_served_from_the_cache_byte_for_byte(
    app: FastAPI, client: httpx.AsyncClient, seeded_shop: tuple[str, dict[str, str]]
) -> None:
    _, headers = seeded_shop
    first = await client.get("/v1/metrics", params=MONTH, headers=headers)
    hits, fast = _cache(app).hits, _cache(app).fast_served
    again = await client.get("/v1/metrics", params=MONTH, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers["content-length"] == str(len(first.content))
    # Served before routing (metrics/fast_path.py), touching no database.
    assert _cache(app).hits == hits + 1 and _cache(app).fast_served == fast + 1
    # agent_id order and repeats do not matter: one entry.
    one = await client.get(
        "/v1/metrics", params={**MONTH, "agent_id": ["a2", "a1"]}, headers=headers
    )
    hits = _cache(app).hits
    other = await client.get(
        "/v1/metrics", params={**MONTH, "agent_id": ["a1", "a2", "a1"]}, headers=headers
    )
    assert other.content == one.content and _cache(app).hits == hits + 1


async def test_a_bump_invalidates_and_nothing_else_does(
    client: httpx.AsyncClient, api_engine: AsyncEngine, seeded_shop: tuple[str, dict[str, str]]
) -> None:
    shop_id, headers = seeded_shop
    before = await client.get("/v1/metrics", params=MONTH, headers=headers)
    assert [r["inquiries"] for r in before.json()["rows"]] == [4, 6]
    await _set_inquiries(api_engine, shop_id, "a1", 40)
    # Writers must bump in their transaction: without it the cached answer stands...
    cached = await client.get("/v1/metrics", params=MONTH, headers=headers)
    assert cached.content == before.content
    version = await _version(api_engine, shop_id)
    await _bump(api_engine, shop_id)
    assert await _version(api_engine, shop_id) == version + 1
    # ...and with it the change shows as soon as the bump's NOTIFY arrives (milliseconds).
    await poll_metrics(client, headers, lambda body: _inquiries(body) == [40, 6])


async def test_shops_never_share_cached_answers(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_engine: AsyncEngine,
    seeded_shop: tuple[str, dict[str, str]],
) -> None:
    _, headers = seeded_shop
    other_id, other_headers = await make_shop(client, admin)
    await insert_agent_days(api_engine, other_id, [("z9", SEEDED_DAY, {"inquiries": 1})])
    mine = await client.get("/v1/metrics", params=MONTH, headers=headers)
    theirs = await client.get("/v1/metrics", params=MONTH, headers=other_headers)
    assert [r["agent_id"] for r in mine.json()["rows"]] == ["a1", "a2"]
    assert [r["agent_id"] for r in theirs.json()["rows"]] == ["z9"]


async def _by(client: httpx.AsyncClient, headers: dict[str, str], group_by: str) -> Any:
    r = await client.get("/v1/metrics", params={**MONTH, "group_by": group_by}, headers=headers)
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    return {(row.get("group") or row.get("mentor_id")): row["inquiries"] for row in rows}


async def test_patching_an_agents_group_or_mentor_shows_at_once(
    client: httpx.AsyncClient, api_engine: AsyncEngine, seeded_shop: tuple[str, dict[str, str]]
) -> None:
    shop_id, headers = seeded_shop
    assert await _by(client, headers, "group") == {"ungrouped": 10}
    assert await _by(client, headers, "mentor") == {}
    version = await _version(api_engine, shop_id)
    r = await client.patch("/v1/agents/a1", json={"group": "presale"}, headers=headers)
    assert r.status_code == 200, r.text
    assert await _by(client, headers, "group") == {"presale": 4, "ungrouped": 6}
    r = await client.patch("/v1/agents/a2", json={"mentor_id": "a1"}, headers=headers)
    assert r.status_code == 200, r.text
    assert await _by(client, headers, "mentor") == {"a1": 10}
    assert await _version(api_engine, shop_id) == version + 2
    # A display name is not an input of /v1/metrics: the cache survives it.
    r = await client.patch("/v1/agents/a1", json={"display_name": "小美"}, headers=headers)
    assert r.status_code == 200 and await _version(api_engine, shop_id) == version + 2


async def test_bump_rollup_version_touches_only_the_given_shops(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    a, _ = await make_shop(client, admin)
    b, _ = await make_shop(client, admin)
    async with api_engine.begin() as conn:
        await bump_rollup_version(session=conn, shop_ids=[a, a, "no-such-shop"])
        await bump_rollup_version(session=conn, shop_ids=[])
    assert (await _version(api_engine, a), await _version(api_engine, b)) == (1, 0)
    async with api_engine.connect() as conn:  # rolled back with its transaction
        await bump_rollup_version(session=conn, shop_ids=[b])
        await conn.rollback()
    assert await _version(api_engine, b) == 0


# --- the cache on its own -----------------------------------------------------------


def _key(shop_id: str = "s", group: str | None = None) -> MetricsKey:
    return MetricsKey.of(
        shop_id=shop_id,
        start=SEEDED_DAY,
        end=SEEDED_DAY,
        granularity="day",
        group_by="agent",
        agent_ids=None,
        group=group,
    )


def test_an_entry_serves_its_version_and_older_readers_and_never_goes_back() -> None:
    cache = MetricsCache()
    cache.put(_key(), 3, b"v3")
    assert cache.get(_key(), 3) == b"v3"
    assert cache.get(_key(), 4) is None
    assert cache.get(_key(), 2) == b"v3"  # read v2 before a bump: newer data, never older
    cache.put(_key(), 2, b"v2")  # a slow request that read an older version
    assert cache.get(_key(), 3) == b"v3"
    cache.put(_key(), 4, b"v4")
    assert cache.get(_key(), 4) == b"v4" and len(cache) == 1


def test_memory_is_bounded_by_entries_and_bytes() -> None:
    cache = MetricsCache(max_entries=3, max_bytes=100)
    for i in range(5):
        cache.put(_key(group=str(i)), 0, b"x" * 10)
    assert len(cache) == 3
    assert cache.get(_key(group="0"), 0) is None and cache.get(_key(group="4"), 0) is not None
    cache.get(_key(group="2"), 0)  # recently used: kept
    cache.put(_key(group="big"), 0, b"y" * 25)
    cache.put(_key(group="big2"), 0, b"y" * 25)
    assert cache.get(_key(group="2"), 0) is not None and cache.size_bytes <= 100
    cache.put(_key(group="huge"), 0, b"z" * 60)  # over a quarter of the budget: not kept
    assert cache.get(_key(group="huge"), 0) is None and cache.size_bytes <= 100


async def test_concurrent_misses_compute_once_and_failures_are_not_shared() -> None:
    cache = MetricsCache()
    calls = 0
    release = asyncio.Event()

    async def compute() -> bytes:
        nonlocal calls
        calls += 1
        await release.wait()
        return b"body"

    waiting = [asyncio.create_task(cache.get_or_compute(_key(), 1, compute)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [b"body"] * 5 and calls == 1

    async def failing() -> bytes:
        await asyncio.sleep(0)
        raise ValueError("boom")

    async def fine() -> bytes:
        return b"mine"

    leader = asyncio.create_task(cache.get_or_compute(_key(), 2, failing))
    await asyncio.sleep(0)
    follower = asyncio.create_task(cache.get_or_compute(_key(), 2, fine))
    with pytest.raises(ValueError):
        await leader
    assert await follower == b"mine"  # computed its own after the leader failed
