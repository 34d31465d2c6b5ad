"""The real API app (with the alert and webhook routers) over the test database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from shared.settings import Settings

ADMIN_TOKEN = "test-admin-token-0123456789"


@asynccontextmanager
async def api(
    engine: AsyncEngine, database_url: str, *, allow_private: bool
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        webhook_allow_private_targets=allow_private,
    )
    app = create_app(settings, engine=engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


async def new_shop(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    shop_id = f"shop-{uuid.uuid4().hex[:8]}"
    created = await client.post(
        "/admin/shops", json={"shop_id": shop_id, "name": shop_id}, headers=admin
    )
    assert created.status_code == 201, created.text
    key = await client.post(f"/admin/shops/{shop_id}/api-keys", headers=admin)
    assert key.status_code == 201, key.text
    return shop_id, {"Authorization": f"Bearer {key.json()['key']}"}
