"""Shop A's key against shop B's objects on EVERY route of the OpenAPI document: nothing
of B is returned or changed; /admin refuses shop keys."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.schema import agents, shops

from .conftest import insert_agent_days, insert_agents, make_shop
from .fixtures_rows import conversation

B_AGENT, B_BUYER = "B-secret-agent", "B-secret-buyer"
PUBLIC = {"/healthz", "/readyz", "/metrics"}
# Valid values for every parameter a /v1 route may take, pointing at B's objects.
PATH_VALUES = {"agent_id": B_AGENT, "buyer_id": B_BUYER}
QUERY_VALUES = {
    "from": "2026-11-01",
    "to": "2026-11-30",
    "metric": "inquiries",
    "agent_id": B_AGENT,
}
BODIES: dict[tuple[str, str], Any] = {
    ("patch", "/v1/agents/{agent_id}"): {"group": "hacked", "display_name": "hacked"},
    ("put", "/v1/qa-rules"): {"min_emojis": {"enabled": False}},
    ("patch", "/v1/settings"): {"slow_reply_seconds": 99},
}


def _fill(path: str, operation: dict[str, Any]) -> tuple[str, dict[str, str]]:
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            assert param["name"] in PATH_VALUES, f"no B value for {path} {param['name']}"
            path = path.replace("{" + param["name"] + "}", PATH_VALUES[param["name"]])
    query = {
        p["name"]: QUERY_VALUES[p["name"]]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and (p.get("required") or p["name"] in QUERY_VALUES)
    }
    return path, query


async def test_every_route_keeps_shops_apart(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_a, key_a = await make_shop(client, admin)
    shop_b, _ = await make_shop(client, admin)
    await insert_agents(api_engine, shop_a, [{"agent_id": "a-own"}])
    await insert_agents(api_engine, shop_b, [{"agent_id": B_AGENT}])
    await insert_agent_days(api_engine, shop_b, [(B_AGENT, date(2026, 11, 11), {"inquiries": 7})])
    await conversation(api_engine, shop_b, buyer=B_BUYER, agent=B_AGENT)
    secrets = (B_AGENT, B_BUYER, shop_b)
    walked = 0
    for path, item in app.openapi()["paths"].items():
        if path in PUBLIC:
            continue
        for method, operation in item.items():
            url, query = _fill(path, operation) if path.startswith("/v1") else (path, {})
            if "{" in url:  # admin paths: any value, the key must be refused first
                url = (
                    url.replace("{shop_id}", shop_b)
                    .replace("{key_id}", "k")
                    .replace("{job_id}", "j")
                    .replace("{letter_id}", "1")
                )
            body = BODIES.get((method, path), {}) if "requestBody" in operation else None
            r = await client.request(method.upper(), url, params=query, headers=key_a, json=body)
            walked += 1
            where = f"{method.upper()} {url}"
            if path.startswith("/admin"):
                assert r.status_code == 403, where
                continue
            assert r.status_code in (200, 404), f"{where}: {r.status_code} {r.text}"
            # A 404 problem may echo the id the caller sent, nothing else of B.
            shown = secrets if r.status_code == 200 else (shop_b, "在吗")
            if r.status_code == 404:
                assert r.headers["content-type"] == "application/problem+json", where
            for secret in shown:
                assert secret not in r.text, f"{where} leaked {secret}: {r.text}"
    assert walked >= 20
    async with api_engine.connect() as conn:
        b_agent = (
            await conn.execute(
                select(agents.c.group_name, agents.c.display_name).where(agents.c.shop_id == shop_b)
            )
        ).one()
        b_shop = (
            await conn.execute(
                select(shops.c.settings, shops.c.qa_rules).where(shops.c.shop_id == shop_b)
            )
        ).one()
    assert tuple(b_agent) == (None, None)
    assert (b_shop.settings, b_shop.qa_rules) == ({}, {})


async def test_a_revoked_key_is_refused_everywhere(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, headers = await make_shop(client, admin)
    keys = (await client.get(f"/admin/shops/{shop_id}/api-keys", headers=admin)).json()
    await client.delete(f"/admin/shops/{shop_id}/api-keys/{keys['items'][0]['id']}", headers=admin)
    for path, item in app.openapi()["paths"].items():
        if not path.startswith("/v1"):
            continue
        for method, operation in item.items():
            url, query = _fill(path, operation)
            r = await client.request(
                method.upper(), url, params=query, headers=headers, json=BODIES.get((method, path))
            )
            assert r.status_code == 401, f"{method} {url}: {r.status_code}"
