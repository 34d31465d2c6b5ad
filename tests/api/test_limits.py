"""API abuse limits (issue #18): 429 problem+json with Retry-After per API key and per
client address after failed authentications, 413 for a body over the limit (declared or
streamed), 422 naming the limit for a range too long. The buckets are pure (the caller
passes the time); the app's rates are so slow that nothing refills during a test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from services.api.limits import Limits, TokenBuckets
from shared.settings import Settings

from .conftest import make_shop, running
from .test_admin_and_auth import assert_problem

LIMITS = Limits(
    key_rate=0.001, key_burst=3, auth_failure_rate=0.001, auth_failure_burst=3, max_body_bytes=2048
)


def test_token_buckets_refill_at_their_rate() -> None:
    buckets = TokenBuckets(rate=0.5, burst=2)
    assert buckets.spend("k", 0.0) is None and buckets.spend("k", 0.0) is None
    assert buckets.spend("k", 0.0) == 2  # one token takes 2 s
    assert buckets.blocked("k", 1.0) == 1  # half a token: 1 s to go
    assert buckets.blocked("other", 1.0) is None  # every key its own bucket
    assert buckets.spend("k", 2.0) is None
    assert buckets.spend("k", 100.0) is None and buckets.spend("k", 100.0) is None  # ≤ burst
    assert buckets.spend("k", 100.0) == 2
    off = TokenBuckets(rate=0, burst=1)
    assert all(off.spend("k", 0.0) is None for _ in range(10))


def test_token_buckets_forget_the_least_recently_used() -> None:
    buckets = TokenBuckets(rate=1, burst=1, max_keys=2)
    for key in ("a", "b", "c"):
        assert buckets.spend(key, 0.0) is None
    assert buckets.blocked("a", 0.0) is None  # forgotten: full again
    assert buckets.blocked("c", 0.0) == 1


@pytest.fixture
async def limited(settings: Settings, api_engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    async with running(create_app(settings, engine=api_engine, limits=LIMITS)) as app:
        yield app


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 1))
    return httpx.AsyncClient(transport=transport, base_url="http://api")


def _assert_429(r: httpx.Response, words: str) -> None:
    body = assert_problem(r, 429)
    assert int(r.headers["Retry-After"]) >= 1
    assert words in str(body["detail"])


async def test_each_api_key_has_its_own_rate(
    client: httpx.AsyncClient, admin: dict[str, str], limited: FastAPI
) -> None:
    _, first = await make_shop(client, admin)
    _, second = await make_shop(client, admin)
    async with _client(limited, "10.0.0.1") as c:
        for _ in range(LIMITS.key_burst):
            assert (await c.get("/v1/agents", headers=first)).status_code == 200
        _assert_429(await c.get("/v1/agents", headers=first), "more than 0.001 requests")
        # The cached fast path of /v1/metrics is limited as well.
        q = {"from": "2026-11-01", "to": "2026-11-02"}
        _assert_429(await c.get("/v1/metrics", headers=first, params=q), "this API key")
        assert (await c.get("/v1/agents", headers=second)).status_code == 200
        # /admin is not a shop key's budget.
        assert (await c.get("/admin/shops", headers=admin)).status_code == 200


async def test_failed_authentications_slow_an_address_down(
    client: httpx.AsyncClient, admin: dict[str, str], limited: FastAPI
) -> None:
    _, good = await make_shop(client, admin)
    bad = {"Authorization": "Bearer kfs_not-a-key"}
    async with _client(limited, "10.0.0.2") as c, _client(limited, "10.0.0.3") as other:
        assert_problem(await c.get("/v1/agents", headers=bad), 401)
        assert_problem(await c.get("/admin/shops", headers=bad), 403)  # a shop key on /admin
        wrong = {"Authorization": "Bearer not-the-admin-token-at-all"}
        assert_problem(await c.get("/admin/shops", headers=wrong), 401)
        # The address is out of tries: refused before its credentials are looked at.
        _assert_429(await c.get("/v1/agents", headers=good), "failed authentications")
        _assert_429(await c.get("/admin/shops", headers=admin), "failed authentications")
        # Another address is not.
        assert (await other.get("/v1/agents", headers=good)).status_code == 200
        # Health checks are never limited.
        assert (await c.get("/healthz")).status_code == 200


async def test_a_body_over_the_limit_is_413(admin: dict[str, str], limited: FastAPI) -> None:
    big = {"shop_id": "shop-big", "name": "x" * 4000}
    async with _client(limited, "10.0.0.4") as c:
        r = await c.post("/admin/shops", headers=admin, json=big)
        assert "2048 bytes" in str(assert_problem(r, 413)["detail"])

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as read
            yield b'{"shop_id": "shop-big", "name": "'
            for _ in range(10):
                yield b"x" * 400
            yield b'"}'

        streamed = await c.post(
            "/admin/shops",
            headers={**admin, "Content-Type": "application/json"},
            content=chunks(),
        )
        assert "Content-Length" not in streamed.request.headers
        assert "2048 bytes" in str(assert_problem(streamed, 413)["detail"])
        assert (await c.get("/admin/shops/shop-big", headers=admin)).status_code == 404
        small = await c.post(
            "/admin/shops", headers=admin, json={"shop_id": "shop-small", "name": "s"}
        )
        assert small.status_code in (201, 409)


@pytest.mark.parametrize(
    ("path", "params", "limit"),
    [
        ("/v1/metrics", {"from": "2025-01-01", "to": "2026-12-31"}, 400),
        ("/v1/buyers/b1/transcript", {"from": "2026-01-01", "to": "2026-12-31"}, 92),
        ("/v1/inquiries", {"from": "2025-01-01", "to": "2026-12-31"}, 400),
        ("/v1/violations", {"from": "2025-01-01", "to": "2026-12-31"}, 400),
    ],
)
async def test_a_range_too_long_is_422_naming_the_limit(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, params: dict[str, str], limit: int
) -> None:
    _, shop = await make_shop(client, admin)
    body = assert_problem(await client.get(path, headers=shop, params=params), 422)
    assert f"at most {limit} per request" in str(body["detail"])
    assert f"from={params['from']}&to=" in str(body["detail"])  # where to split
