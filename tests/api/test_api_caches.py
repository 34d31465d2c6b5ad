"""The in-memory caller/version cache, its LISTEN/NOTIFY listener and the metrics fast path.

Changes committed by another process (another app instance, a scoring batch, psql) reach
a running API within milliseconds by NOTIFY; when the listener's connection is lost the
API serves from the database until it LISTENs again, so nothing stale outlives it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.api.app import create_app
from services.api.auth.cache import REVOKED_KEYS, CallerCache
from services.api.auth.keys import hash_key
from services.api.auth.service import ShopCaller
from services.api.cache_listener import CacheListener, apply_notice
from services.api.metrics.cache import MetricsCache, MetricsKey
from services.api.metrics.fast_path import metrics_key
from shared.rollup_version import BUMPED_SHOPS, bump_rollup_version
from shared.schema import agent_daily, api_keys
from shared.settings import Settings

from .conftest import SEEDED_DAY, make_shop, running, wait_until
from .test_metrics_cache import MONTH, poll_metrics


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _live_cache(clock: Clock) -> CallerCache:
    cache = CallerCache(refresh_seconds=60, clock=clock)
    cache.listening(lease_seconds=5)
    return cache


def _caller(shop_id: str = "s", key_id: str = "k", version: int = 1) -> ShopCaller:
    return ShopCaller(shop_id=shop_id, key_id=key_id, rollup_version=version)


# --- the cache on its own -----------------------------------------------------------


def test_nothing_is_cached_or_served_without_a_live_listener() -> None:
    clock = Clock()
    cache = CallerCache(clock=clock)
    cache.fill(cache.epoch, b"h", _caller())
    assert cache.lookup(b"h") is None and len(cache) == 0
    cache.listening(lease_seconds=5)
    cache.fill(cache.epoch, b"h", _caller())
    assert cache.lookup(b"h") == _caller()
    clock.now += 5  # no heartbeat answered within the lease: not trusted any more
    assert cache.lookup(b"h") is None and cache.peek(b"h") is None
    cache.renew(lease_seconds=5)
    assert cache.lookup(b"h") == _caller()
    cache.go_dark()
    cache.renew(lease_seconds=5)
    assert cache.lookup(b"h") is None and len(cache) == 0


def test_a_fill_that_raced_a_change_is_refused() -> None:
    cache = _live_cache(Clock())
    for change in (
        lambda: cache.key_changed(b"h"),
        lambda: cache.shop_gone("s"),
        lambda: cache.committed({REVOKED_KEYS: {("s", "k")}}),
        lambda: cache.committed({BUMPED_SHOPS: {"s"}}),
        cache.go_dark,
        lambda: cache.listening(lease_seconds=5),
    ):
        epoch = cache.epoch  # read before the request's query
        change()
        cache.renew(lease_seconds=5)  # live again (renewing alone moves no epoch)
        cache.fill(epoch, b"h", _caller())
        assert cache.lookup(b"h") is None
    cache.fill(cache.epoch, b"h", _caller())
    assert cache.lookup(b"h") == _caller()


def test_versions_only_grow_and_notices_apply() -> None:
    cache = _live_cache(Clock())
    metrics = MetricsCache()
    cache.fill(cache.epoch, b"h", _caller(version=3))
    apply_notice("version:5:s", callers=cache, metrics=metrics)
    assert cache.lookup(b"h") == _caller(version=5)
    apply_notice("version:4:s", callers=cache, metrics=metrics)  # never lowered
    cache.fill(cache.epoch, b"h", _caller(version=2))  # a slow reader's older version
    assert cache.lookup(b"h") == _caller(version=5)
    apply_notice("version:9:other:shop", callers=cache, metrics=metrics)  # ':' in an id
    assert cache.peek(b"h") == ("s", 5)
    apply_notice("key:" + b"h".hex(), callers=cache, metrics=metrics)
    assert cache.lookup(b"h") is None


def test_a_deleted_shop_is_forgotten_with_its_metrics() -> None:
    cache = _live_cache(Clock())
    metrics = MetricsCache()
    key = MetricsKey.of(
        shop_id="s",
        start=SEEDED_DAY,
        end=SEEDED_DAY,
        granularity="day",
        group_by="agent",
        agent_ids=None,
        group=None,
    )
    metrics.put(key, 7, b"{}")
    cache.fill(cache.epoch, b"h", _caller(version=7))
    apply_notice("shop:s", callers=cache, metrics=metrics)
    assert cache.lookup(b"h") is None and metrics.get(key, 0) is None


def test_an_unreadable_notice_starts_over_from_the_database() -> None:
    cache = _live_cache(Clock())
    cache.fill(cache.epoch, b"h", _caller())
    apply_notice("version:x:s", callers=cache, metrics=MetricsCache())
    assert cache.lookup(b"h") is None and cache.live


def test_one_request_a_minute_refreshes_a_key_the_others_keep_hitting() -> None:
    clock = Clock()
    cache = _live_cache(clock)
    cache.fill(cache.epoch, b"h", _caller())
    clock.now += 59
    cache.renew(lease_seconds=5)  # the listener's heartbeats meanwhile
    assert cache.peek(b"h") == ("s", 1) and cache.lookup(b"h") == _caller()
    clock.now += 1
    cache.renew(lease_seconds=5)
    assert cache.peek(b"h") is None  # the fast path leaves the refresh to the route
    assert cache.lookup(b"h") is None  # this one re-reads the database
    assert cache.lookup(b"h") == _caller()  # concurrent ones keep hitting


def test_a_commit_in_this_process_forgets_what_it_changed() -> None:
    cache = _live_cache(Clock())
    cache.fill(cache.epoch, b"h1", _caller(key_id="k1"))
    cache.fill(cache.epoch, b"h2", _caller(key_id="k2"))
    cache.committed({REVOKED_KEYS: {("s", "k1")}})
    assert cache.lookup(b"h1") is None and cache.lookup(b"h2") == _caller(key_id="k2")
    cache.committed({BUMPED_SHOPS: {"s"}})
    assert cache.lookup(b"h2") is None


# --- the fast path's reading of the query ---------------------------------------------


def _key(**overrides: Any) -> MetricsKey:
    fields: dict[str, Any] = {
        "shop_id": "s",
        "start": date(2026, 11, 1),
        "end": date(2026, 11, 30),
        "granularity": "day",
        "group_by": "agent",
        "agent_ids": None,
        "group": None,
    }
    return MetricsKey.of(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"from=2026-11-01&to=2026-11-30", _key()),
        (
            b"to=2026-11-30&granularity=month&from=2026-11-01&group_by=group",
            _key(granularity="month", group_by="group"),
        ),
        (b"from=2026-11-01&to=2026-11-30&agent_id=b&agent_id=a", _key(agent_ids=["a", "b"])),
        (b"from=2026-11-01&to=2026-11-30&group=%E5%94%AE%E5%89%8D", _key(group="售前")),
        (b"from=2026-11-01&to=2026-11-30&group=", _key(group="")),
    ],
)
def test_the_fast_path_reads_a_query_as_the_route_does(query: bytes, expected: MetricsKey) -> None:
    assert metrics_key("s", query) == expected


@pytest.mark.parametrize(
    "query",
    [
        b"to=2026-11-30",  # from missing
        b"from=2026-11-01&to=2026-11-30&from=2026-11-02",  # repeated
        b"from=2026-11-01&to=2026-11-30&limit=5",  # unknown
        b"from=2026-11-1&to=2026-11-30",  # not YYYY-MM-DD
        b"from=2026-02-30&to=2026-11-30",  # no such day
        b"from=%D9%A2026-11-01&to=2026-11-30",  # a non-ASCII digit
        b"from=2026-11-01&to=2026-11-30&granularity=year",
        b"from=2026-11-01&to=2026-11-30&group_by=Agent",
        b"from=2026-11-01&to=2026-11-30&group=" + b"x" * 101,
        b"from=2026-11-01&to=2026-11-30" + b"&agent_id=a" * 501,
    ],
)
def test_the_fast_path_declines_what_it_cannot_read_exactly(query: bytes) -> None:
    assert metrics_key("s", query) is None


# --- across processes, through Postgres -----------------------------------------------


@pytest.fixture
async def other_app(settings: Settings, database_url: str) -> AsyncIterator[FastAPI]:
    """A second API instance on the same database, as another process would be."""
    engine = create_async_engine(database_url, pool_size=2)
    async with running(create_app(settings, engine=engine)) as app:
        yield app


@pytest.fixture
async def other_client(other_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=other_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
        yield client


def _hash(headers: dict[str, str]) -> bytes:
    return hash_key(headers["Authorization"].removeprefix("Bearer "))


async def _cached_by(instance: FastAPI, api: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """A request with the key until the instance holds it: a cache only stores while its
    listener's lease is current, and on a loaded machine a heartbeat can come late (the
    lease lapses, the cache goes dark until the next one), so one request may not do."""
    deadline = asyncio.get_running_loop().time() + 30.0
    while True:
        await wait_until(lambda: instance.state.callers.live)
        assert (await api.get("/v1/metrics", params=MONTH, headers=headers)).status_code == 200
        if instance.state.callers.peek(_hash(headers)) is not None:
            return
        assert asyncio.get_running_loop().time() < deadline, "the key never stayed cached"
        await asyncio.sleep(0.05)


async def test_a_key_revoked_by_another_instance_is_refused_within_a_second(
    app: FastAPI,
    client: httpx.AsyncClient,
    other_app: FastAPI,
    other_client: httpx.AsyncClient,
    admin: dict[str, str],
    seeded_shop: tuple[str, dict[str, str]],
) -> None:
    shop_id, headers = seeded_shop
    for instance, api in ((app, client), (other_app, other_client)):
        await _cached_by(instance, api, headers)  # both instances have the key cached
    keys = (await client.get(f"/admin/shops/{shop_id}/api-keys", headers=admin)).json()
    key_id = keys["items"][0]["id"]
    revoked = await client.delete(f"/admin/shops/{shop_id}/api-keys/{key_id}", headers=admin)
    assert revoked.status_code == 200
    # The revoking instance forgot it before answering...
    assert (await client.get("/v1/metrics", params=MONTH, headers=headers)).status_code == 401
    # ...the other one learns it by NOTIFY.
    await wait_until(lambda: other_app.state.callers.peek(_hash(headers)) is None)
    for path in ("/v1/metrics", "/v1/agents"):
        r = await other_client.get(path, params=MONTH, headers=headers)
        assert r.status_code == 401, r.text


async def test_the_revoking_instance_refuses_the_key_without_waiting_for_the_notice(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    seeded_shop: tuple[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop_id, headers = seeded_shop
    assert (await client.get("/v1/agents", headers=headers)).status_code == 200
    assert app.state.callers.peek(_hash(headers)) is not None
    held: list[str] = []  # key notices held back, as if still on their way

    def slow_keys(payload: str, **caches: Any) -> None:
        if payload.startswith("key:"):
            held.append(payload)
        else:
            apply_notice(payload, **caches)

    monkeypatch.setattr("services.api.cache_listener.apply_notice", slow_keys)
    keys = (await client.get(f"/admin/shops/{shop_id}/api-keys", headers=admin)).json()
    key_id = keys["items"][0]["id"]
    await client.delete(f"/admin/shops/{shop_id}/api-keys/{key_id}", headers=admin)
    assert app.state.callers.peek(_hash(headers)) is None
    assert (await client.get("/v1/agents", headers=headers)).status_code == 401


async def test_numbers_committed_by_a_scoring_batch_elsewhere_show_within_a_second(
    app: FastAPI,
    client: httpx.AsyncClient,
    api_engine: AsyncEngine,
    seeded_shop: tuple[str, dict[str, str]],
) -> None:
    shop_id, headers = seeded_shop
    await client.get("/v1/metrics", params=MONTH, headers=headers)
    fast = app.state.metrics_cache.fast_served
    await client.get("/v1/metrics", params=MONTH, headers=headers)
    assert app.state.metrics_cache.fast_served == fast + 1  # cached: no database
    async with api_engine.begin() as conn:  # what the batch processor commits
        await conn.execute(
            update(agent_daily)
            .where(agent_daily.c.shop_id == shop_id, agent_daily.c.agent_id == "a2")
            .values(inquiries=60)
        )
        await bump_rollup_version(session=conn, shop_ids=[shop_id])
    body = await poll_metrics(client, headers, lambda b: b["rows"][1]["inquiries"] == 60)
    assert [r["inquiries"] for r in body["rows"]] == [4, 60]


async def test_a_lost_listener_means_serving_from_the_database_until_it_listens_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_engine: AsyncEngine,
    seeded_shop: tuple[str, dict[str, str]],
) -> None:
    shop_id, headers = seeded_shop
    _, other_headers = await make_shop(client, admin)  # a second key, revoked while dark
    for h in (headers, other_headers):
        await client.get("/v1/metrics", params=MONTH, headers=h)
    callers: CallerCache = app.state.callers
    listener: CacheListener = app.state.cache_listener
    assert callers.peek(_hash(headers)) is not None
    connects = listener.connects
    listener.retry_seconds = (0.5,)  # a dark spell long enough to act in
    try:
        async with api_engine.connect() as conn:
            await conn.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.backend_pid}
            )
        await wait_until(lambda: not callers.live)
        assert len(callers) == 0  # everything dropped with the connection
        # Changes now are notified to nobody: requests must read them from the database.
        async with api_engine.begin() as conn:
            await conn.execute(
                update(agent_daily)
                .where(agent_daily.c.shop_id == shop_id, agent_daily.c.agent_id == "a1")
                .values(inquiries=40)
            )
            await bump_rollup_version(session=conn, shop_ids=[shop_id])
            await conn.execute(
                update(api_keys)
                .where(api_keys.c.key_hash == _hash(other_headers))
                .values(revoked_at=text("now()"))
            )
        assert not callers.live
        r = await client.get("/v1/metrics", params=MONTH, headers=headers)
        assert [row["inquiries"] for row in r.json()["rows"]] == [40, 6]
        r = await client.get("/v1/metrics", params=MONTH, headers=other_headers)
        assert r.status_code == 401
        await wait_until(lambda: listener.connects == connects + 1 and callers.live)
    finally:
        listener.retry_seconds = (0.05,)
    # LISTENing again: the cache fills and serves again, and the revoked key stays refused.
    fast = app.state.metrics_cache.fast_served
    for _ in range(2):
        r = await client.get("/v1/metrics", params=MONTH, headers=headers)
        assert [row["inquiries"] for row in r.json()["rows"]] == [40, 6]
    assert app.state.metrics_cache.fast_served == fast + 1
    r = await client.get("/v1/metrics", params=MONTH, headers=other_headers)
    assert r.status_code == 401
