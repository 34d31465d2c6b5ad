"""The lost-inquiry review queue: transcript, marks through the review marks service, the
cause summary, marks surviving a rescore, and who may see what."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.rescore import run_rescore
from shared.schema import chat_messages, order_events
from tests.api.conftest import make_shop
from tests.api.fixtures_rows import CST, message

from .conftest import console_user, form_csrf, sign_in

T0 = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
RANGE = {"from": "2026-11-05", "to": "2026-11-11"}
B1 = {"agent_id": "a1", "buyer_id": "b1", "day": "2026-11-11"}


def _order(shop_id: str, event_id: str, kind: str, at: datetime) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "event_id": event_id,
        "type": kind,
        "order_id": "o-1",
        "buyer_id": "b1",
        "occurred_at": at,
        "amount": "99.00",
        "body": {},
        "src_topic": "cs.order.v1",
        "src_partition": 0,
        "src_offset": 0,
    }


@pytest.fixture
async def shop(client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine) -> str:
    """b1 asks a1 (order o-1 placed, unpaid), b2 asks a2; both lost once scored."""
    shop_id, _ = await make_shop(client, admin)
    async with api_engine.begin() as conn:
        await conn.execute(
            insert(chat_messages),
            [
                message(shop_id, "m1", "b1", "a1", "buyer", 0, "这个有货吗"),
                message(shop_id, "m1b", "b1", None, "bot", 1, "您好, 客服马上来"),
                message(shop_id, "m2", "b1", "a1", "agent", 300, "亲, 有的"),
                message(shop_id, "m3", "b2", "a2", "buyer", 30, "能便宜点吗"),
                message(shop_id, "m4", "b9", None, "bot", 5 * 86400, "您好"),
            ],
        )
        await conn.execute(
            insert(order_events), [_order(shop_id, "o1", "order.created", T0 + timedelta(hours=1))]
        )
    await run_rescore(engine=api_engine, shop_id=shop_id, job_id="console")
    return shop_id


def _buyers(text: str) -> list[str]:
    return re.findall(r'<td><a href="/console/lost/inquiry\?[^"]*">([^<]+)</a></td>', text)


async def test_review_queue_marks_and_summary(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_engine: AsyncEngine,
    shop: str,
) -> None:
    email = await console_user(client, admin, shop)
    async with sign_in(app, email) as c:
        queue = await c.get("/console/lost", params=RANGE)
        assert queue.status_code == 200
        assert _buyers(queue.text) == ["b1", "b2"]
        page = await c.get("/console/lost/inquiry", params={**B1, **RANGE})
        assert page.status_code == 200
        assert "这个有货吗" in page.text and "msg bot" in page.text
        assert "data-slow" in page.text, "a 300 s response is marked slow"
        assert "data-next" in page.text and "data-prev" not in page.text
        csrf = form_csrf(page.text)
        refused = await c.post("/console/lost/mark", data={**B1, "cause": "price"})
        assert refused.status_code == 403
        marked = await c.post(
            "/console/lost/mark",
            data={**B1, **RANGE, "cause": "price", "note": "嫌贵", "csrf": csrf},
        )
        assert marked.status_code == 303
        after = await c.get(marked.headers["location"])
        summary = after.text[after.text.index('id="cause-summary"') :]
        assert re.search(
            r'data-cause="price">.*?data-buyers="1">1</td><td class="num">¥99.00', summary, re.S
        )
        assert "嫌贵" in after.text
        # Reviewed ones go last; the mark survives a rescore.
        assert _buyers((await c.get("/console/lost", params=RANGE)).text) == ["b2", "b1"]
        await run_rescore(engine=api_engine, shop_id=shop, job_id="console-2")
        again = await c.get("/console/lost/inquiry", params={**B1, **RANGE})
        assert 'value="price" data-key="1" class="on"' in again.text
        bad = await c.post("/console/lost/mark", data={**B1, "cause": "nonsense", "csrf": csrf})
        assert bad.status_code == 422


async def test_agents_see_only_their_own_and_shops_stay_apart(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], shop: str
) -> None:
    agent = await console_user(client, admin, shop, role="agent", agent_id="a2")
    other_shop, _ = await make_shop(client, admin)
    stranger = await console_user(client, admin, other_shop)
    async with sign_in(app, agent) as c:
        home = await c.get("/console")
        assert home.status_code == 303 and home.headers["location"] == "/console/agents/a2"
        assert _buyers((await c.get("/console/lost", params=RANGE)).text) == ["b2"]
        assert (await c.get("/console/lost/inquiry", params={**B1, **RANGE})).status_code == 403
        own = await c.get(
            "/console/lost/inquiry",
            params={"agent_id": "a2", "buyer_id": "b2", "day": "2026-11-11", **RANGE},
        )
        assert own.status_code == 200 and "能便宜点吗" in own.text
        csrf = form_csrf(own.text)
        r = await c.post("/console/lost/mark", data={**B1, "cause": "price", "csrf": csrf})
        assert r.status_code == 403, "marks are the manager's"
    async with sign_in(app, stranger) as c:
        assert _buyers((await c.get("/console/lost", params=RANGE)).text) == []
        r = await c.get("/console/lost/inquiry", params={**B1, **RANGE})
        assert r.status_code == 404 and "这个有货吗" not in r.text
        csrf = form_csrf((await c.get("/console")).text)
        r = await c.post("/console/lost/mark", data={**B1, "cause": "price", "csrf": csrf})
        assert r.status_code == 404


async def test_each_console_mark_leaves_one_audit_entry(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], shop: str
) -> None:
    """Issue #18's audit trail: a console user's mark is recorded with the user as actor,
    time, target and before/after; the same mark again, and refused marks, leave none."""
    email = await console_user(client, admin, shop)
    agent = await console_user(client, admin, shop, role="agent", agent_id="a1")
    users = (await client.get(f"/admin/shops/{shop}/console-users", headers=admin)).json()
    user_id = next(u["user_id"] for u in users if u["email"] == email)

    async def trail() -> list[Any]:
        r = await client.get(
            "/admin/audit", headers=admin, params={"shop_id": shop, "action": "lost_inquiry.marked"}
        )
        assert r.status_code == 200, r.text
        return list(reversed(r.json()["items"]))

    async with sign_in(app, email) as c:
        csrf = form_csrf((await c.get("/console/lost/inquiry", params={**B1, **RANGE})).text)
        marks = ({"cause": "price", "note": "嫌贵"}, {"cause": "price", "note": "嫌贵"}, {})
        for fields in marks:  # the second is the first again: no change, no entry
            r = await c.post("/console/lost/mark", data={**B1, **fields, "csrf": csrf})
            assert r.status_code == 303, r.text
        bad = await c.post("/console/lost/mark", data={**B1, "cause": "nonsense", "csrf": csrf})
        assert bad.status_code == 422
    async with sign_in(app, agent) as c:
        csrf = form_csrf((await c.get("/console/agents/a1")).text)
        refused = await c.post("/console/lost/mark", data={**B1, "cause": "stock", "csrf": csrf})
        assert refused.status_code == 403

    first, second = await trail()
    target = f"shop/{shop}/lost-inquiry/a1/b1/2026-11-11"
    assert {first["actor"], second["actor"]} == {f"console:{user_id}"}
    assert first["target"] == second["target"] == target and first["at"] and second["at"]
    assert first["before"] is None
    assert first["after"] == {"cause": "price", "note": "嫌贵", "reviewed": True}
    assert second["before"] == first["after"]
    assert second["after"] == {"cause": None, "note": "", "reviewed": True}
