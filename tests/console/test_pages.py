"""Agent, Performance, QA, Alerts and transcript pages; exports; who may open which."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.parts import AgentDayParts
from services.api.console.standing import words
from services.performance.bonus import compute_bonus
from services.performance.bonus_plan import BonusPlan, Tier
from tests.api.conftest import insert_agent_days, insert_agents, make_shop
from tests.api.fixtures_rows import conversation

from .conftest import console_user, sign_in

PLAN = {
    "name": "周奖金",
    "metric": "inquiry_conversion_rate",
    "period": "week",
    "tiers": [{"threshold": "0.40", "amount": "800"}, {"threshold": "0.54", "amount": "1600"}],
}
HONOUR = {
    "name": "荣誉",
    "period": "month",
    "levels": [
        {"name": "铜牌", "requirements": [{"metric": "inquiries", "comparison": ">=", "value": 1}]},
        {
            "name": "银牌",
            "requirements": [{"metric": "inquiries", "comparison": ">=", "value": 99}],
        },
    ],
}


def test_standing_in_words() -> None:
    plan = BonusPlan(
        metric="inquiry_conversion_rate",
        period="week",
        tiers=(
            Tier(threshold=Decimal("0.40"), amount=Decimal("800")),
            Tier(threshold=Decimal("0.54"), amount=Decimal("1600")),
        ),
    )
    parts = AgentDayParts(inquiries=50, paid_buyers=24)
    result = compute_bonus(plan, parts)
    assert words(plan, result, parts, "zh", "CNY") == (
        "本周 ¥800.00 — 还差 3 询单→最终付款人数, 达到 54.0 % → ¥1,600.00"
    )
    assert words(plan, result, parts, "en", "CNY") == (
        "This week ¥800.00 — 3 more paid buyers reach 54.0 % → ¥1,600.00"
    )
    top = AgentDayParts(inquiries=50, paid_buyers=30)
    assert words(plan, compute_bonus(plan, top), top, "en", "CNY").endswith("top tier reached")


async def test_pages_open_for_the_manager_and_only_own_for_an_agent(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, key = await make_shop(client, admin)
    await insert_agents(
        api_engine, shop_id, [{"agent_id": "a1"}, {"agent_id": "a2", "mentor_id": "a1"}]
    )
    # NOW is 2026-11-23 (Monday): this week is 2026-W48.
    await insert_agent_days(
        api_engine,
        shop_id,
        [
            ("a1", date(2026, 11, 23), {"inquiries": 10, "paid_buyers": 5, "v_greeting": 2}),
            ("a1", date(2026, 11, 20), {"inquiries": 8, "paid_buyers": 2}),
            ("a2", date(2026, 11, 23), {"inquiries": 4, "paid_buyers": 1}),
        ],
    )
    await conversation(api_engine, shop_id, buyer="b1", agent="a1")
    for url, body in (("/v1/bonus-plans", PLAN), ("/v1/honour-plans", HONOUR)):
        assert (await client.post(url, json=body, headers=key)).status_code == 201
    manager = await console_user(client, admin, shop_id)
    agent = await console_user(client, admin, shop_id, role="agent", agent_id="a2")
    async with sign_in(app, manager) as c:
        a1 = await c.get("/console/agents/a1")
        assert a1.status_code == 200
        standing = "周奖金: 本周 ¥800.00 — 还差 1 询单→最终付款人数, 达到 54.0 % → ¥1,600.00"
        assert standing in a1.text
        assert "荣誉: 铜牌" in a1.text and "银牌" in a1.text
        assert 'href="/console/agents/a2"' in a1.text, "apprentices are listed"
        perf = await c.get("/console/performance")
        assert perf.status_code == 200 and "周奖金" in perf.text and "2026-W48" in perf.text
        earlier = await c.get("/console/performance", params={"on": "2026-11-18"})
        assert "周奖金 · 2026-W47" in earlier.text
        qa = await c.get("/console/qa")
        assert qa.status_code == 200
        alerts = await c.get("/console/alerts")
        assert alerts.status_code == 200
        talk = await c.get("/console/transcript", params={"buyer_id": "b1", "day": "2026-11-11"})
        assert talk.status_code == 200 and "不知道" in talk.text and "forbidden_words" in talk.text
        csv = await c.get(
            "/console/export/metrics",
            params={"from": "2026-11-23", "to": "2026-11-23", "format": "csv"},
        )
        assert csv.status_code == 200 and csv.headers["content-disposition"].startswith(
            "attachment"
        )
        assert "a1" in csv.text
        assert (await c.get("/console/agents/nobody")).status_code == 404
    async with sign_in(app, agent) as c:
        own = await c.get("/console/agents/a2")
        assert own.status_code == 200 and "本周" in own.text
        assert (await c.get("/console/agents/a1")).status_code == 403
        for url in ("/console/performance", "/console/qa", "/console/alerts"):
            assert (await c.get(url)).status_code == 403, url
        talk = await c.get("/console/transcript", params={"buyer_id": "b1", "day": "2026-11-11"})
        assert talk.status_code == 403 and "不知道" not in talk.text
        mine = await c.get(
            "/console/transcript",
            params={"buyer_id": "b1", "day": "2026-11-11", "agent_id": "a2"},
        )
        assert mine.status_code == 404 and "不知道" not in mine.text
        csv = await c.get(
            "/console/export/metrics",
            params={"from": "2026-11-23", "to": "2026-11-23", "format": "csv"},
        )
        assert csv.status_code == 200 and "a2" in csv.text and "a1" not in csv.text
