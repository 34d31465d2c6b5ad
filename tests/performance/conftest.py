"""A shop API over the real test database, with agent_daily rows worked out by hand.

Two shops: s1 holds the team below, s2 another shop whose objects s1 must never see.

agents of s1 (group, mentor):  m (presale, -), a1 (presale, m), a2 (live, m),
                               b (presale, -), c (aftersale, -)
agent_daily of s1 (inquiries / paid_buyers, extras):
  2026-W45 (11-02..11-08): m 11-08 40/20 (50 %)   a1 11-02 50/30 (60 %)
                           a2 11-03 10/2 (20 %)   b 11-05 100/55 (55 %)
  2026-W46 (11-09..11-15): m 11-09 20/10 + 11-10 20/11 = 40/21 (52.5 %)
                           a1 11-11 50/29 (58 %), 1 forbidden_words violation,
                              10 QA sessions scoring 950 (avg 95)
                           a2 11-12 10/5 (50 %)   b 11-15 1000/539 (53.9 %)
                           c 11-13 2/2 (100 %: one lucky day)
  2026-W47:                b 11-16 5/5 (outside W46, inside 2026-11)
s2 has an agent a1 with 1000/1000 in W46: it must never show in s1's numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.auth.keys import generate_key, hash_key, new_key_id, visible_prefix
from shared.schema import agent_daily, agents, api_keys, shops
from shared.settings import Settings

AGENTS = [
    ("m", "presale", None),
    ("a1", "presale", "m"),
    ("a2", "live", "m"),
    ("b", "presale", None),
    ("c", "aftersale", None),
]
DAILY: list[tuple[str, str, int, int, dict[str, int]]] = [
    ("m", "2026-11-08", 40, 20, {}),
    ("a1", "2026-11-02", 50, 30, {}),
    ("a2", "2026-11-03", 10, 2, {}),
    ("b", "2026-11-05", 100, 55, {}),
    ("m", "2026-11-09", 20, 10, {}),
    ("m", "2026-11-10", 20, 11, {}),
    ("a1", "2026-11-11", 50, 29, {"v_forbidden_words": 1, "qa_sessions": 10, "qa_score_sum": 950}),
    ("a2", "2026-11-12", 10, 5, {}),
    ("b", "2026-11-15", 1000, 539, {}),
    ("c", "2026-11-13", 2, 2, {}),
    ("b", "2026-11-16", 5, 5, {}),
]


@dataclass
class Api:
    client: httpx.AsyncClient
    keys: dict[str, str]

    def _auth(self, shop: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[shop]}"}

    async def get(self, url: str, shop: str = "s1", **params: Any) -> httpx.Response:
        return await self.client.get(url, params=params, headers=self._auth(shop))

    async def post(self, url: str, body: Any, shop: str = "s1") -> httpx.Response:
        return await self.client.post(url, json=body, headers=self._auth(shop))

    async def put(self, url: str, body: Any, shop: str = "s1") -> httpx.Response:
        return await self.client.put(url, json=body, headers=self._auth(shop))

    async def patch(self, url: str, body: Any, shop: str = "s1") -> httpx.Response:
        return await self.client.patch(url, json=body, headers=self._auth(shop))

    async def delete(self, url: str, shop: str = "s1") -> httpx.Response:
        return await self.client.delete(url, headers=self._auth(shop))


async def _seed(engine: AsyncEngine) -> dict[str, str]:
    keys = {}
    async with engine.begin() as conn:
        for shop in ("s1", "s2"):
            key = generate_key()
            keys[shop] = key
            await conn.execute(insert(shops).values(shop_id=shop, name=shop))
            await conn.execute(
                insert(api_keys).values(
                    shop_id=shop,
                    key_id=new_key_id(),
                    prefix=visible_prefix(key),
                    key_hash=hash_key(key),
                )
            )
        await conn.execute(
            insert(agents),
            [
                {"shop_id": "s1", "agent_id": a, "group_name": g, "mentor_id": m}
                for a, g, m in AGENTS
            ]
            + [{"shop_id": "s2", "agent_id": "a1", "group_name": None, "mentor_id": None}],
        )
        rows = [
            {
                "shop_id": "s1",
                "agent_id": a,
                "day": date.fromisoformat(d),
                "inquiries": i,
                "paid_buyers": p,
                **extra,
            }
            for a, d, i, p, extra in DAILY
        ]
        rows.append(
            {
                "shop_id": "s2",
                "agent_id": "a1",
                "day": date(2026, 11, 11),
                "inquiries": 1000,
                "paid_buyers": 1000,
            }
        )
        for row in rows:  # rows differ in their columns: one statement each
            await conn.execute(insert(agent_daily).values(**row))
    return keys


def _app(settings: Settings) -> Any:
    from services.api.app import create_app

    return create_app(settings)


@pytest.fixture(scope="module")
async def api(database_url: str, engine: AsyncEngine) -> AsyncIterator[Api]:
    keys = await _seed(engine)
    settings = Settings(database_url=database_url, admin_token="test-admin-token-0123456789")
    app = _app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, keys)
    await app.state.engine.dispose()


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body
