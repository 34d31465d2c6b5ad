"""The console over the fixtures' real Postgres: an API app whose console clock is the
tests' fixed NOW, driven through httpx (tests/console/test_*.py) or a real Chromium
(tests/console/browser/)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.api.app import create_app
from shared.settings import Settings
from tests.api.conftest import running
from tests.fixtures.clock import NOW

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
async def api_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def app(settings: Settings, api_engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    async with running(create_app(settings, engine=api_engine, clock=lambda: NOW)) as app:
        yield app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api")


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as client:
        yield client


@pytest.fixture(scope="module")
def admin(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.admin_token}"}


async def console_user(
    client: httpx.AsyncClient,
    admin: Mapping[str, str],
    shop_id: str,
    *,
    role: str = "manager",
    agent_id: str | None = None,
) -> str:
    """A new console user of the shop; its email (the password is PASSWORD)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    body: dict[str, Any] = {
        "email": email,
        "display_name": f"{role} {agent_id or ''}".strip(),
        "role": role,
        "password": PASSWORD,
    }
    if agent_id is not None:
        body["agent_id"] = agent_id
    r = await client.post(f"/admin/shops/{shop_id}/console-users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return email


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@asynccontextmanager
async def sign_in(
    app: FastAPI, email: str, password: str = PASSWORD
) -> AsyncIterator[httpx.AsyncClient]:
    """A new client (its own cookie jar) signed in as `email`."""
    async with client_of(app) as client:
        form = await client.get("/console/sign-in")
        r = await client.post(
            "/console/sign-in",
            data={"email": email, "password": password, "csrf": form_csrf(form.text)},
        )
        assert r.status_code == 303, r.text
        yield client
