"""Shop A's key against shop B's objects on EVERY route of the OpenAPI document.

Shop B owns one object of every kind (made through the API with B's key where a create
route exists). Each route is called with A's key, B's real ids in every path parameter and
a VALID body (so that a 422 cannot hide a leak): nothing of B is returned, B's rows are
byte-for-byte the same afterwards, and what A creates belongs to A. A route whose
parameters or body this file cannot fill fails the test, so new routes get covered.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from services.api.console.routes import ROUTERS as CONSOLE_ROUTERS
from services.webhooks.outbox import enqueue_event
from shared.schema import metadata, webhook_deliveries
from shared.settings import Settings
from tests.fixtures.clock import NOW

from .conftest import insert_agent_days, insert_agents, make_shop
from .fixtures_rows import conversation
from .readback import file_text

B_AGENT, B_APPRENTICE, B_BUYER = "B-secret-agent", "B-secret-apprentice", "B-secret-buyer"
B_GROUP = "B-secret-group"
A_AGENT = "a-own"
PUBLIC = {"/healthz", "/readyz", "/metrics"}
SUCCESS = {200, 201, 202, 204}

# Query parameters: required ones always, optional ones when they can point at B.
QUERY_VALUES = {
    "from": "2026-11-01",
    "to": "2026-11-30",
    "metric": "inquiries",
    "period": "2026-11",
    "day": "2026-11-11",
}
_BONUS_PLAN = {
    "metric": "inquiry_conversion_rate",
    "period": "month",
    "tiers": [{"threshold": "0.50", "amount": "800"}],
    "step": {"every": "0.02", "amount": "400"},
}
_HONOUR_PLAN = {
    "period": "month",
    "levels": [
        {"name": "铜牌", "requirements": [{"metric": "inquiries", "comparison": ">=", "value": 1}]}
    ],
}
# A valid body for every route that takes one; A's creations name only A's own agent.
BODIES: dict[tuple[str, str], Any] = {
    ("patch", "/v1/agents/{agent_id}"): {"group": "hacked", "display_name": "hacked"},
    ("put", "/v1/qa-rules"): {"min_emojis": {"enabled": False}},
    ("patch", "/v1/settings"): {"slow_reply_seconds": 99},
    ("post", "/v1/alert-rules"): {
        "name": "a rule",
        "scope": "agent",
        "metric": "inquiry_conversion_rate",
        "comparison": "lt",
        "threshold": 0.4,
        "window": "today",
    },
    ("patch", "/v1/alert-rules/{rule_id}"): {"name": "hacked", "threshold": 0.1},
    ("post", "/v1/webhooks/subscriptions"): {
        "url": "http://127.0.0.1:9/a-hook",
        "event_types": ["alert.breached"],
    },
    ("patch", "/v1/webhooks/subscriptions/{subscription_id}"): {
        "url": "http://127.0.0.1:9/hacked",
        "enabled": False,
    },
    ("post", "/v1/targets"): {
        "agent_id": A_AGENT,
        "period": "2026-11",
        "metric": "inquiries",
        "value": 5,
    },
    ("patch", "/v1/targets/{target_id}"): {"value": 1},
    ("post", "/v1/bonus-plans"): {**_BONUS_PLAN, "name": "a bonus"},
    ("put", "/v1/bonus-plans/{plan_id}"): {**_BONUS_PLAN, "name": "hacked"},
    ("post", "/v1/honour-plans"): {**_HONOUR_PLAN, "name": "a honour"},
    ("put", "/v1/honour-plans/{plan_id}"): {**_HONOUR_PLAN, "name": "hacked"},
    # B's inquiry and order: A's shop has neither, so A's marks are refused (404).
    ("put", "/v1/review-marks/lost-inquiries"): {
        "agent_id": B_AGENT,
        "buyer_id": B_BUYER,
        "day": "2026-11-11",
        "cause": "price",
    },
    ("put", "/v1/review-marks/bad-reviews"): {"order_id": f"{B_BUYER}-order", "cause": "other"},
}


@pytest.fixture(scope="module")
def app(settings: Settings, api_engine: AsyncEngine) -> FastAPI:
    # Webhook targets on loopback (never contacted: no dispatcher runs here).
    allowing = settings.model_copy(update={"webhook_allow_private_targets": True})
    return create_app(allowing, engine=api_engine)


@dataclass
class ShopB:
    shop_id: str
    headers: dict[str, str]
    # Path/query parameter -> B's value; (first /v1 segment, name) when a name is ambiguous.
    ids: dict[Any, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)

    def value(self, path: str, name: str) -> str | None:
        segment = path.split("/")[2] if path.startswith("/v1/") else ""
        return self.ids.get((segment, name), self.ids.get(name))


async def _created(client: httpx.AsyncClient, b: ShopB, url: str, body: dict[str, Any]) -> Any:
    r = await client.post(url, json=body, headers=b.headers)
    assert r.status_code == 201, f"B could not create {url}: {r.text}"
    return r.json()


async def _shop_b(client: httpx.AsyncClient, admin: dict[str, str], engine: AsyncEngine) -> ShopB:
    shop_id, headers = await make_shop(client, admin)
    b = ShopB(
        shop_id,
        headers,
        ids={
            "agent_id": B_AGENT,
            "buyer_id": B_BUYER,
            "group": B_GROUP,
            "order_id": f"{B_BUYER}-order",
        },
    )
    await insert_agents(
        engine,
        shop_id,
        [
            {"agent_id": B_AGENT, "group_name": B_GROUP},
            {"agent_id": B_APPRENTICE, "mentor_id": B_AGENT},
        ],
    )
    await insert_agent_days(engine, shop_id, [(B_AGENT, date(2026, 11, 11), {"inquiries": 7})])
    await conversation(engine, shop_id, buyer=B_BUYER, agent=B_AGENT)
    rule = await _created(
        client, b, "/v1/alert-rules", {**BODIES[("post", "/v1/alert-rules")], "name": "B-rule-n"}
    )
    sub = await _created(
        client,
        b,
        "/v1/webhooks/subscriptions",
        {
            "url": "http://127.0.0.1:9/B-secret-hook",
            "event_types": ["alert.breached"],
            "description": "B-sub-description",
        },
    )
    target = await _created(
        client, b, "/v1/targets", {**BODIES[("post", "/v1/targets")], "agent_id": B_AGENT}
    )
    bonus = await _created(client, b, "/v1/bonus-plans", {**_BONUS_PLAN, "name": "B-bonus-n"})
    honour = await _created(client, b, "/v1/honour-plans", {**_HONOUR_PLAN, "name": "B-honour-n"})
    for url in ("/v1/review-marks/lost-inquiries", "/v1/review-marks/bad-reviews"):
        body = {**BODIES[("put", url)], "note": "B-mark-note"}
        marked = await client.put(url, json=body, headers=b.headers)
        assert marked.status_code == 200, marked.text
    # No API creates deliveries: the scoring pipeline's outbox does.
    async with engine.begin() as conn:
        event_id = await enqueue_event(
            session=conn,
            shop_id=shop_id,
            type="alert.breached",
            data={"agent_id": B_AGENT, "note": "B-event-data"},
            now=NOW,
        )
        delivery_id = (
            await conn.execute(
                select(webhook_deliveries.c.delivery_id).where(
                    webhook_deliveries.c.shop_id == shop_id
                )
            )
        ).scalar_one()
    assert event_id is not None
    b.ids.update(
        {
            "rule_id": rule["rule_id"],
            "subscription_id": sub["subscription_id"],
            "delivery_id": delivery_id,
            "target_id": target["id"],
            ("bonus-plans", "plan_id"): bonus["id"],
            ("honour-plans", "plan_id"): honour["id"],
        }
    )
    b.secrets = {
        *(v for v in b.ids.values()),
        shop_id,
        B_APPRENTICE,
        "在吗",  # B's buyer's message
        "B-rule-n",
        "B-secret-hook",
        "B-sub-description",
        sub["secret"],
        event_id,
        "B-event-data",
        "B-bonus-n",
        "B-honour-n",
        "B-mark-note",
    }
    return b


async def _snapshot(engine: AsyncEngine, shop_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the shop in every shop-keyed table, in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if "shop_id" not in table.c:
                continue
            rows = await conn.execute(select(table).where(table.c.shop_id == shop_id))
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@dataclass
class Call:
    method: str
    url: str
    query: dict[str, str]
    body: Any
    sent: set[str]  # B values this request itself carries


def _call(b: ShopB, path: str, method: str, operation: dict[str, Any]) -> Call:
    """The request for this route with B's ids; fails for anything it cannot fill."""
    where = f"{method.upper()} {path}"
    url, query, sent = path, {}, set()
    for param in operation.get("parameters", []):
        name, kind = param["name"], param["in"]
        value = b.value(path, name)
        if kind == "path":
            assert value is not None, f"{where}: no B value for path parameter {name!r}"
            url = url.replace("{" + name + "}", value)
            sent.add(value)
        elif kind == "query":
            if value is not None:
                query[name] = value
                sent.add(value)
            elif name in QUERY_VALUES:
                query[name] = QUERY_VALUES[name]
            else:
                assert not param.get("required"), f"{where}: no value for query {name!r}"
    body = None
    if "requestBody" in operation:
        assert (method, path) in BODIES, f"{where}: add a valid body to BODIES"
        body = BODIES[(method, path)]
        # A body naming B's objects (a mark's key) sends those values too.
        sent |= {v for v in body.values() if isinstance(v, str)}
    return Call(method.upper(), url, query, body, sent)


def _without_echo(r: httpx.Response, call: Call) -> str:
    """The body, less top-level fields that echo a query parameter the caller sent
    (`"group": "<the ?group= sent>"`): the caller's own words, not B's data."""
    if r.status_code == 404 or not r.content:
        return r.text
    data = r.json()
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if not (k in call.query and v == call.query[k])}
    return json.dumps(data, ensure_ascii=False)


async def _exports_keep_shops_apart(
    client: httpx.AsyncClient, call: Call, key_a: dict[str, str], b: ShopB
) -> int:
    """The route's CSV and XLSX variants: a file of A's own rows, or a 404 problem."""
    for fmt in ("csv", "xlsx"):
        query = {**call.query, "format": fmt}
        r = await client.get(call.url, params=query, headers=key_a)
        where = f"GET {call.url} {query}"
        assert r.status_code in (200, 404), f"{where}: {r.status_code} {r.text[:200]}"
        if r.status_code == 404:
            assert r.headers["content-type"] == "application/problem+json", where
            shown = b.secrets - call.sent
        else:
            assert r.headers["content-disposition"].startswith("attachment;"), where
            shown = b.secrets
        seen = file_text(r.content) + r.headers.get("content-disposition", "")
        for secret in shown:
            assert secret not in seen, f"{where} leaked {secret!r}"
    return 2


def _admin_url(path: str, shop_b: str) -> str:
    # Any value: the shop key must be refused before the path is looked at.
    for name, value in {"shop_id": shop_b, "key_id": "k", "job_id": "j", "letter_id": "1"}.items():
        path = path.replace("{" + name + "}", value)
    return path


@pytest.fixture
async def shop_b(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> AsyncIterator[ShopB]:
    yield await _shop_b(client, admin, api_engine)


async def test_every_route_keeps_shops_apart(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_engine: AsyncEngine,
    shop_b: ShopB,
) -> None:
    shop_a, key_a = await make_shop(client, admin)
    await insert_agents(api_engine, shop_a, [{"agent_id": A_AGENT}])
    before = await _snapshot(api_engine, shop_b.shop_id)
    created: list[str] = []
    walked = exported = 0
    for path, item in app.openapi()["paths"].items():
        if path in PUBLIC:
            continue
        for method, operation in item.items():
            walked += 1
            if path.startswith("/admin"):
                url = _admin_url(path, shop_b.shop_id)
                r = await client.request(method.upper(), url, headers=key_a, json={})
                assert r.status_code == 403, f"{method.upper()} {url}: {r.status_code}"
                continue
            call = _call(shop_b, path, method, operation)
            r = await client.request(
                call.method, call.url, params=call.query, headers=key_a, json=call.body
            )
            where = f"{call.method} {call.url} {call.query}"
            assert r.status_code in SUCCESS | {404}, f"{where}: {r.status_code} {r.text}"
            # A 404 problem may echo the id the caller sent, nothing else of B.
            shown = shop_b.secrets
            if r.status_code == 404:  # (or a part of one: B's order id holds B's buyer id)
                shown = {s for s in shown if not any(s in sent for sent in call.sent)}
            if r.status_code == 404:
                assert r.headers["content-type"] == "application/problem+json", where
            seen = _without_echo(r, call) + r.headers.get("location", "")
            for secret in shown:
                assert secret not in seen, f"{where} leaked {secret!r}: {seen}"
            if r.status_code == 201:
                assert "location" in r.headers, f"{where}: 201 without Location"
                created.append(r.headers["location"])
            if any(p["name"] == "format" for p in operation.get("parameters", [])):
                exported += await _exports_keep_shops_apart(client, call, key_a, shop_b)
    assert walked >= 50
    assert exported >= 2 * 7, "every report route is walked as CSV and XLSX too"
    assert await _snapshot(api_engine, shop_b.shop_id) == before, "A's calls changed B's rows"
    # What A created is A's: readable with A's key, a 404 for B's.
    assert len(created) >= 5
    for location in created:
        assert (await client.get(location, headers=key_a)).status_code == 200, location
        assert (await client.get(location, headers=shop_b.headers)).status_code == 404, location


async def test_a_revoked_key_is_refused_everywhere(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], shop_b: ShopB
) -> None:
    shop_id, headers = await make_shop(client, admin)
    keys = (await client.get(f"/admin/shops/{shop_id}/api-keys", headers=admin)).json()
    await client.delete(f"/admin/shops/{shop_id}/api-keys/{keys['items'][0]['id']}", headers=admin)
    for path, item in app.openapi()["paths"].items():
        if not path.startswith("/v1"):
            continue
        for method, operation in item.items():
            call = _call(shop_b, path, method, operation)
            r = await client.request(
                call.method, call.url, params=call.query, headers=headers, json=call.body
            )
            assert r.status_code == 401, f"{call.method} {call.url}: {r.status_code}"
            assert r.headers["content-type"] == "application/problem+json"


# --- the console (/console, HTML outside the OpenAPI document) ---------------------------

CONSOLE_PUBLIC = {"/console/sign-in", "/console/static"}


def _console_routes() -> list[tuple[str, str]]:
    """(method, path) of every console route but the public ones."""
    out = []
    for router in CONSOLE_ROUTERS:
        for route in router.routes:
            path = "/console" + getattr(route, "path", "")
            if path in CONSOLE_PUBLIC:
                continue
            methods = sorted(getattr(route, "methods", None) or ())
            out.extend((m, path) for m in methods if m != "HEAD")
    return out


async def test_every_console_route_keeps_shops_apart(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_engine: AsyncEngine,
    shop_b: ShopB,
) -> None:
    """Shop A's manager, signed in to the console, asks every console route for B's ids:
    nothing of B is shown and B's rows stay as they were."""
    shop_a, _ = await make_shop(client, admin)
    await insert_agents(api_engine, shop_a, [{"agent_id": A_AGENT}])
    email = f"a-manager-{shop_a}@example.com"
    password = "a manager's passphrase"
    created = await client.post(
        f"/admin/shops/{shop_a}/console-users",
        json={"email": email, "display_name": "A", "role": "manager", "password": password},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    before = await _snapshot(api_engine, shop_b.shop_id)
    query = {
        "buyer_id": B_BUYER,
        "agent_id": B_AGENT,
        "agent": B_AGENT,
        "day": "2026-11-11",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "group": B_GROUP,
        "period": "custom",
        "plan_id": shop_b.ids[("bonus-plans", "plan_id")],
    }
    path_values = {"agent_id": [B_AGENT], "report": ["metrics", "lost-inquiries", "bonus"]}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    walked = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as console:
        form = await console.get("/console/sign-in")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        signed = await console.post(
            "/console/sign-in",
            data={"email": email, "password": password, "csrf": token.group(1)},
        )
        assert signed.status_code == 303, signed.text
        home = await console.get("/console")
        csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
        assert csrf is not None
        routes = sorted(_console_routes(), key=lambda r: r[1] == "/console/sign-out")
        for method, path in routes:
            names = re.findall(r"{(\w+)}", path)
            assert all(n in path_values for n in names), f"{method} {path}: fill {names}"
            urls = [path]
            for name in names:
                urls = [u.replace("{" + name + "}", v) for u in urls for v in path_values[name]]
            for url in urls:
                walked += 1
                data = {**query, "cause": "price", "csrf": csrf.group(1)}
                params = {**query, "format": "csv"} if "/export/" in url else query
                r = await console.request(
                    method, url, params=params, data=data if method == "POST" else None
                )
                where = f"{method} {url}"
                assert r.status_code in {200, 303, 404}, f"{where}: {r.status_code} {r.text}"
                seen = r.text + r.headers.get("location", "")
                sent = set(query.values())
                shown = shop_b.secrets - sent if r.status_code == 404 else shop_b.secrets
                for secret in shown:
                    if secret in sent and secret in seen and r.status_code == 200:
                        # An echo of the filter the caller typed (a form field) is its own
                        # words; the page must still show none of B's rows.
                        assert f">{secret}<" not in seen, f"{where} showed {secret!r}"
                        continue
                    assert secret not in seen, f"{where} leaked {secret!r}"
    assert walked >= 10
    assert await _snapshot(api_engine, shop_b.shop_id) == before, "A's calls changed B's rows"
