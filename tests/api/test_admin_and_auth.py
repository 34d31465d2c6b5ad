"""Shops, API keys, authentication and the problem+json error contract."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from services.api.auth.cache import CallerCache
from shared.schema import api_keys
from shared.settings import Settings

from .conftest import make_shop, new_shop_id

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["detail"] and body["title"]
    assert body["type"].startswith("https://") and body["instance"] == r.request.url.path
    return body


async def test_create_shop_returns_it_with_settings(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id = new_shop_id()
    r = await client.post(
        "/admin/shops",
        headers=admin,
        json={
            "shop_id": shop_id,
            "name": "Flagship",
            "settings": {"timezone": "Europe/Berlin", "slow_reply_seconds": 45},
        },
    )
    assert r.status_code == 201
    shop = r.json()
    assert shop["shop_id"] == shop_id and shop["name"] == "Flagship"
    assert shop["settings"]["timezone"] == "Europe/Berlin"
    assert shop["settings"]["slow_reply_seconds"] == 45
    assert shop["settings"]["session_gap_seconds"] == 1800  # default
    assert r.headers["location"] == f"/admin/shops/{shop_id}"
    again = await client.post("/admin/shops", headers=admin, json={"shop_id": shop_id, "name": "x"})
    assert "exists" in str(assert_problem(again, 409)["detail"])
    got = await client.get(f"/admin/shops/{shop_id}", headers=admin)
    assert got.json() == shop


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"session_gap_seconds": 0}, "session_gap_seconds"),
        ({"session_gap_seconds": "1800"}, "session_gap_seconds"),
        ({"currency": "yuan"}, "currency"),
    ],
)
async def test_invalid_settings_are_422_naming_the_setting(
    client: httpx.AsyncClient, admin: dict[str, str], overrides: dict[str, object], named: str
) -> None:
    r = await client.post(
        "/admin/shops",
        headers=admin,
        json={"shop_id": new_shop_id(), "name": "x", "settings": overrides},
    )
    problem = assert_problem(r, 422)
    assert named in str(problem["detail"])
    assert problem["errors"][0]["loc"] == ["body", "settings", named]  # type: ignore[index]


async def test_list_shops_is_cursor_paginated(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for _ in range(3):
        await make_shop(client, admin)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/admin/shops", headers=admin, params=params)).json()
        assert len(page["items"]) <= 2
        seen += [s["shop_id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= 3 and seen == sorted(seen) and len(set(seen)) == len(seen)
    bad = await client.get("/admin/shops", headers=admin, params={"cursor": "garbage"})
    assert_problem(bad, 422)


async def test_patch_shop_settings_and_reset(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, _ = await make_shop(client, admin, {"slow_reply_seconds": 60})
    r = await client.patch(
        f"/admin/shops/{shop_id}",
        headers=admin,
        json={"name": "Renamed", "settings": {"timezone": "UTC"}},
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Renamed"
    assert r.json()["settings"]["timezone"] == "UTC"
    assert r.json()["settings"]["slow_reply_seconds"] == 60
    r = await client.patch(
        f"/admin/shops/{shop_id}", headers=admin, json={"settings": {"slow_reply_seconds": None}}
    )
    assert r.json()["settings"]["slow_reply_seconds"] == 30
    assert_problem(await client.patch("/admin/shops/nope", headers=admin, json={}), 404)


async def test_api_keys_issue_list_revoke(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, _ = await make_shop(client, admin)
    r = await client.post(f"/admin/shops/{shop_id}/api-keys", headers=admin, json={"name": "BI"})
    assert r.status_code == 201
    created = r.json()
    key, key_id = created["key"], created["id"]
    assert key.startswith("kfs_") and len(key) > 40 and created["name"] == "BI"
    listed = (await client.get(f"/admin/shops/{shop_id}/api-keys", headers=admin)).json()
    assert key_id in [k["id"] for k in listed["items"]]
    assert key not in str(listed)  # no secrets in listings
    async with api_engine.connect() as conn:
        stored = (
            await conn.execute(select(api_keys.c.key_hash).where(api_keys.c.key_id == key_id))
        ).scalar_one()
    assert key.encode() not in stored and len(stored) == 32  # SHA-256 only
    headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/v1/agents", headers=headers)).status_code == 200
    revoked = await client.delete(f"/admin/shops/{shop_id}/api-keys/{key_id}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = await client.post(f"/admin/shops/{shop_id}/api-keys/{key_id}/revoke", headers=admin)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert "revoked" in str(assert_problem(await client.get("/v1/agents", headers=headers), 401))
    missing = await client.delete(f"/admin/shops/{shop_id}/api-keys/key_nope", headers=admin)
    assert_problem(missing, 404)
    assert_problem(await client.post("/admin/shops/nope/api-keys", headers=admin), 404)


async def test_last_used_at_is_written_at_most_once_a_minute(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, headers = await make_shop(client, admin)

    async def last_used() -> datetime | None:
        async with api_engine.connect() as conn:
            return (
                await conn.execute(
                    select(api_keys.c.last_used_at).where(api_keys.c.shop_id == shop_id)
                )
            ).scalar_one()

    assert await last_used() is None
    await client.get("/v1/agents", headers=headers)
    first = await last_used()
    assert first is not None
    await client.get("/v1/agents", headers=headers)
    assert await last_used() == first
    async with api_engine.begin() as conn:
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.shop_id == shop_id)
            .values(last_used_at=first - timedelta(minutes=2))
        )
    # Within the minute the key is served from this process's cache: no write...
    await client.get("/v1/agents", headers=headers)
    assert await last_used() == first - timedelta(minutes=2)
    # ...a minute later one request re-reads the key from the database and marks it used.
    callers: CallerCache = app.state.callers
    clock = callers.clock
    callers.clock = lambda: clock() + 61
    try:
        await client.get("/v1/agents", headers=headers)
    finally:
        callers.clock = clock
    later = await last_used()
    assert later is not None and later > first - timedelta(minutes=1)


async def test_authentication_failures(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    _, shop_headers = await make_shop(client, admin)
    no_auth = assert_problem(await client.get("/v1/agents"), 401)
    assert "Bearer" in str(no_auth["detail"])
    assert_problem(
        await client.get("/v1/agents", headers={"Authorization": "Bearer kfs_nope"}), 401
    )
    assert_problem(await client.get("/v1/agents", headers=admin), 401)  # admin token ≠ shop key
    assert_problem(await client.get("/admin/shops", headers=shop_headers), 403)
    wrong = {"Authorization": "Bearer not-the-admin-token-at-all"}
    assert_problem(await client.get("/admin/shops", headers=wrong), 401)
    assert_problem(await client.get("/admin/shops"), 401)


async def test_unknown_routes_methods_and_bodies(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert_problem(await client.get("/nope"), 404)
    assert_problem(await client.delete("/healthz"), 405)
    bad_json = await client.post(
        "/admin/shops", headers={**admin, "content-type": "application/json"}, content=b"{not json"
    )
    assert_problem(bad_json, 422)
    assert_problem(await client.post("/admin/shops", headers=admin, json={"name": "x"}), 422)
    assert_problem(
        await client.post(
            "/admin/shops", headers=admin, json={"shop_id": "has/slash", "name": "x"}
        ),
        422,
    )


def test_default_or_missing_admin_token_is_refused(settings: Settings) -> None:
    for token in (None, "changeme", "short"):
        with pytest.raises(RuntimeError, match="ADMIN_TOKEN"):
            create_app(settings.model_copy(update={"admin_token": token}))


async def test_health_ready_and_prometheus(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] and ready.json()["broker"]
    await client.get("/v1/agents")
    text = (await client.get("/metrics")).text
    assert 'kefu_api_requests_total{method="GET",route="/v1/agents",status="401"}' in text
    assert "kefu_api_request_seconds_bucket" in text


async def test_readyz_is_503_when_the_broker_is_unreachable(
    settings: Settings, api_engine: AsyncEngine
) -> None:
    broken = settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:1"})
    app = create_app(broken, engine=api_engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        r = await client.get("/readyz")
        assert "broker" in str(assert_problem(r, 503)["detail"])
        assert (await client.get("/healthz")).status_code == 200
