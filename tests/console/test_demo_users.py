"""`make run`'s demo console users: created through /admin, the same sign-ins on a second
run, printed for the banner, and they sign in."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from shared.launcher import Stack, banner
from shared.simulator.console_users import CONSOLE_LINE, create_console_users
from shared.simulator.demo_plans import SETUP, create_demo_plans
from tests.api.conftest import make_shop

from .conftest import sign_in


async def test_demo_creates_a_manager_and_an_agent_who_can_sign_in(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, _ = await make_shop(client, admin)
    token = admin["Authorization"].removeprefix("Bearer ")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", headers=admin) as c:
        lines = await create_console_users(c, shop_id, "小美", token)
        assert await create_console_users(c, shop_id, "小美", token) == lines, "a rerun keeps them"
    assert [line.split(":")[0] for line in lines] == [
        f"{CONSOLE_LINE}manager",
        f"{CONSOLE_LINE}agent",
    ]
    for line, home in zip(lines, ("/console", "/console/agents/"), strict=True):
        email, password = line.split(": ", 1)[1].split(" / ")
        async with sign_in(app, email, password) as browser:
            page = await browser.get("/console")
            location = page.headers.get("location", "/console")
            assert location.startswith(home)


async def test_demo_sets_up_plans_and_a_rule_once(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    _, key = await make_shop(client, admin)
    token = key["Authorization"].removeprefix("Bearer ")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        made = await create_demo_plans(c, token)
        assert made == [f"created {url} {body['name']}" for url, body in SETUP]
        assert await create_demo_plans(c, token) == [], "a second run adds none"
        for url, _ in SETUP:
            assert len((await c.get(url, headers=key)).json()["items"]) == 1


def test_banner_shows_the_console_and_its_sign_ins(tmp_path: Path) -> None:
    stack = Stack.__new__(Stack)
    stack.demo_key = "kfs_x"
    stack.console_sign_ins = ["manager: m@x.example / demo-1", "agent: a@x.example / demo-2"]
    stack.postgres = stack.kafka = None
    stack.data_dir = tmp_path
    env = {
        "API_PORT": "8123",
        "INGEST_METRICS_PORT": "1",
        "SCORING_METRICS_PORT": "2",
        "WEBHOOK_METRICS_PORT": "3",
        "ADMIN_TOKEN": "t",
        "DATABASE_URL": "postgresql://x",
        "KAFKA_BOOTSTRAP_SERVERS": "k:1",
    }
    text = banner(env, stack)
    assert "/console" in text
    assert "sign in as   manager: m@x.example / demo-1" in text
    assert "sign in as   agent: a@x.example / demo-2" in text
