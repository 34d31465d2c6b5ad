"""An API over the fixtures' real Postgres and Kafka, driven through httpx's ASGI transport.

The app runs its lifespan (httpx's transport does not), so its cache listener is LISTENing
and requests are served as in production: from the in-memory caches when they can.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import encode
from services.api.app import create_app
from shared.schema import agent_daily, agent_responses, agents, shop_daily
from shared.settings import Settings


@pytest.fixture(scope="module")
async def api_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


async def wait_until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Poll until `condition` holds; `seconds` only bounds a hung run (never a speed)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app's lifespan, once its cache listener is LISTENing."""
    async with app.router.lifespan_context(app):
        await wait_until(lambda: app.state.callers.live)
        yield app


@pytest.fixture(scope="module")
async def app(settings: Settings, api_engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    async with running(create_app(settings, engine=api_engine)) as app:
        yield app


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


@pytest.fixture(scope="module")
def admin(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.admin_token}"}


def new_shop_id() -> str:
    return f"shop-{uuid.uuid4().hex[:8]}"


async def make_shop(
    client: httpx.AsyncClient, admin: Mapping[str, str], settings: Mapping[str, Any] | None = None
) -> tuple[str, dict[str, str]]:
    """A new shop and the headers of a fresh key of it."""
    shop_id = new_shop_id()
    body: dict[str, Any] = {"shop_id": shop_id, "name": shop_id}
    if settings is not None:
        body["settings"] = dict(settings)
    created = await client.post("/admin/shops", json=body, headers=admin)
    assert created.status_code == 201, created.text
    key = await client.post(f"/admin/shops/{shop_id}/api-keys", headers=admin)
    assert key.status_code == 201, key.text
    return shop_id, {"Authorization": f"Bearer {key.json()['key']}"}


@pytest.fixture
def shop_factory(client: httpx.AsyncClient, admin: dict[str, str]) -> Callable[..., Any]:
    async def factory(settings: Mapping[str, Any] | None = None) -> tuple[str, dict[str, str]]:
        return await make_shop(client, admin, settings)

    return factory


async def insert_agent_days(
    engine: AsyncEngine, shop_id: str, rows: Iterable[tuple[str, date, Mapping[str, Any]]]
) -> None:
    """agent_daily rows (agent, day, {column: value}); columns left out are zero."""
    values = [
        {
            "shop_id": shop_id,
            "agent_id": agent,
            "day": day,
            **dict.fromkeys(AgentDayParts.FIELDS, 0),
            **parts,
        }
        for agent, day, parts in rows
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(agent_daily), values)


async def insert_agent_responses(
    engine: AsyncEngine,
    shop_id: str,
    rows: Iterable[tuple[str, date, Sequence[int], Sequence[int]]],
    *,
    parts: bool = False,
) -> None:
    """agent_responses rows (agent, day, response µs, first response µs), any order;
    `parts`: each agent-day stored as scoring does between merges, in two parts (the
    first half of each list settled, the rest recent)."""
    values = []
    for agent, day, responses, first in rows:
        halves = [(0, responses, first)]
        if parts:
            r, f = len(responses) // 2, len(first) // 2
            halves = [(0, responses[:r], first[:f]), (1, responses[r:], first[f:])]
        values += [
            {
                "shop_id": shop_id,
                "agent_id": agent,
                "day": day,
                "part": part,
                "response_us": encode(sorted(some)),
                "first_response_us": encode(sorted(some_first)),
            }
            for part, some, some_first in halves
        ]
    async with engine.begin() as conn:
        await conn.execute(insert(agent_responses), values)


async def insert_shop_days(
    engine: AsyncEngine, shop_id: str, rows: Iterable[tuple[date, Mapping[str, Any]]]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(shop_daily),
            [
                {
                    "shop_id": shop_id,
                    "day": d,
                    **dict.fromkeys(ShopDayParts.FIELDS, 0),
                    **parts,
                }
                for d, parts in rows
            ],
        )


async def insert_agents(
    engine: AsyncEngine, shop_id: str, rows: Iterable[Mapping[str, Any]]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(agents),
            [
                {
                    "shop_id": shop_id,
                    "display_name": None,
                    "group_name": None,
                    "mentor_id": None,
                    **r,
                }
                for r in rows
            ],
        )


SEEDED_DAY = date(2026, 11, 11)


@pytest.fixture
async def seeded_shop(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> tuple[str, dict[str, str]]:
    """A new shop with agents a1 and a2 and their inquiries on SEEDED_DAY (4 and 6)."""
    shop_id, headers = await make_shop(client, admin)
    await insert_agents(api_engine, shop_id, [{"agent_id": "a1"}, {"agent_id": "a2"}])
    await insert_agent_days(
        api_engine,
        shop_id,
        [("a1", SEEDED_DAY, {"inquiries": 4}), ("a2", SEEDED_DAY, {"inquiries": 6})],
    )
    return shop_id, headers
