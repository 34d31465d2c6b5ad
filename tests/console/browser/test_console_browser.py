"""The console in a real Chromium: sign-in, the team page against /v1/metrics, every page
(screenshotted at 1440×900 and 390×844), the lost-inquiry review by keyboard, and who may
open what. No page shows a console error or a failed request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.rescore import run_rescore
from shared.schema import chat_messages, order_events
from tests.api.conftest import insert_agent_days, insert_agents, insert_shop_days, make_shop
from tests.api.fixtures_rows import CST, conversation, message

from ..conftest import PASSWORD, console_user
from .conftest import Browse, browse

T0 = datetime(2026, 11, 11, 10, 0, tzinfo=CST)
TODAY = date(2026, 11, 23)  # NOW in Asia/Shanghai
RANGE = "from=2026-11-05&to=2026-11-11"
# Only bounds a hung run: the live server shares two loaded cores with the test itself.
HTTP_TIMEOUT = 120.0


@dataclass
class Shops:
    team: str  # agents with rollups, plans, a target, a conversation with violations
    team_key: dict[str, str]
    lost: str  # raw messages scored by a rescore: two lost inquiries
    manager: str
    agent: str  # role agent, bound to 小红 of the team shop
    lost_manager: str


def _day_parts(i: int, agent: int) -> dict[str, Any]:
    inquiries = 8 + (i * 3 + agent * 5) % 9
    paid = max(1, inquiries * (3 + (i + agent) % 4) // 10)
    return {
        "consultations": inquiries + 3,
        "inquiries": inquiries,
        "ordered_buyers": paid + 1,
        "paid_buyers": paid,
        "paid_orders": paid,
        "sales_amount": paid * 129 + agent * 7.5,
        "lost_inquiries": inquiries - paid - 1,
        "buyer_messages": inquiries * 6,
        "agent_messages": inquiries * 7,
        "responses": inquiries * 5,
        "response_us_sum": inquiries * 5 * (12 + agent * 9 + i % 5) * 1_000_000,
        "first_responses": inquiries,
        "first_response_us_sum": inquiries * (8 + agent * 4) * 1_000_000,
        "slow_responses": (i + agent) % 3,
        "sessions": inquiries + 2,
        "qa_sessions": inquiries,
        "qa_score_sum": inquiries * (86 + agent * 3 - i % 4),
        "v_slow_reply": (i + agent) % 3,
        "v_greeting": agent % 2,
    }


def _level(name: str, inquiries: int) -> dict[str, Any]:
    requirement = {"metric": "inquiries", "comparison": ">=", "value": inquiries}
    return {"name": name, "requirements": [requirement]}


def _target(agent: str, value: int) -> dict[str, Any]:
    return {"agent_id": agent, "period": "2026-W48", "metric": "inquiries", "value": value}


SETUP: list[tuple[str, dict[str, Any]]] = [
    (
        "/v1/bonus-plans",
        {
            "name": "周奖金",
            "metric": "inquiry_conversion_rate",
            "period": "week",
            "tiers": [
                {"threshold": "0.30", "amount": "800"},
                {"threshold": "0.45", "amount": "1600"},
            ],
        },
    ),
    (
        "/v1/honour-plans",
        {"name": "荣誉", "period": "month", "levels": [_level("铜牌", 50), _level("金牌", 500)]},
    ),
    ("/v1/targets", _target("小美", 5)),
    ("/v1/targets", _target("阿强", 50)),
    (
        "/v1/alert-rules",
        {
            "name": "转化率过低",
            "scope": "agent",
            "metric": "inquiry_conversion_rate",
            "comparison": "lt",
            "threshold": 0.3,
            "window": "today",
        },
    ),
]


async def _team_shop(client: httpx.AsyncClient, admin: dict[str, str], engine: AsyncEngine) -> Any:
    shop_id, key = await make_shop(client, admin)
    names = [("小美", "售前", None), ("阿强", "售前", None), ("小红", "售后", "小美")]
    await insert_agents(
        engine,
        shop_id,
        [{"agent_id": a, "group_name": g, "mentor_id": m} for a, g, m in names],
    )
    days = [TODAY - timedelta(days=i) for i in range(21)]
    await insert_agent_days(
        engine,
        shop_id,
        [(a, d, _day_parts(i, n)) for i, d in enumerate(days) for n, (a, _, _) in enumerate(names)],
    )
    await insert_shop_days(
        engine,
        shop_id,
        [
            (
                d,
                {
                    "placed_orders": 40,
                    "paid_orders_total": 33,
                    "sales_total": 5200,
                    "silent_orders": 9,
                    "silent_sales": 1100,
                },
            )
            for d in days
        ],
    )
    await conversation(engine, shop_id, buyer="buyer-1", agent="小美")
    for url, body in SETUP:
        r = await client.post(url, json=body, headers=key)
        assert r.status_code == 201, r.text
    return shop_id, key


async def _lost_shop(client: httpx.AsyncClient, admin: dict[str, str], engine: AsyncEngine) -> str:
    shop_id, _ = await make_shop(client, admin)
    async with engine.begin() as conn:
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
            insert(order_events),
            [
                {
                    "shop_id": shop_id,
                    "event_id": "o1",
                    "type": "order.created",
                    "order_id": "o-1",
                    "buyer_id": "b1",
                    "occurred_at": T0 + timedelta(hours=1),
                    "amount": "99.00",
                    "body": {},
                    "src_topic": "cs.order.v1",
                    "src_partition": 0,
                    "src_offset": 0,
                }
            ],
        )
    await run_rescore(engine=engine, shop_id=shop_id, job_id="browser")
    return shop_id


@pytest.fixture(scope="module")
async def shops(
    live_url: str, admin: dict[str, str], api_engine: AsyncEngine
) -> AsyncIterator[Shops]:
    async with httpx.AsyncClient(base_url=live_url, timeout=HTTP_TIMEOUT) as client:
        team, key = await _team_shop(client, admin, api_engine)
        lost = await _lost_shop(client, admin, api_engine)
        yield Shops(
            team,
            key,
            lost,
            manager=await console_user(client, admin, team),
            agent=await console_user(client, admin, team, role="agent", agent_id="小红"),
            lost_manager=await console_user(client, admin, lost),
        )


async def _signed_in(browser: Browser, live_url: str, email: str) -> Browse:
    b = await browse(browser, live_url)
    page = await b.open("/console/sign-in")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form.sign-in button[type=submit]")
    await page.wait_for_load_state("networkidle")
    return b


async def test_sign_in_refuses_a_wrong_password_and_sign_out_ends_the_session(
    browser: Browser, live_url: str, shops: Shops
) -> None:
    b = await browse(browser, live_url)
    b.allowed.add("/console/sign-in")  # the refused sign-in answers 401
    page = await b.open("/console")
    assert page.url.endswith("/console/sign-in")
    await b.screenshot("sign-in")
    await page.fill("input[name=email]", shops.manager)
    await page.fill("input[name=password]", "not the password")
    await page.click("form.sign-in button[type=submit]")
    await page.wait_for_load_state("networkidle")
    assert "邮箱或密码错误" in await page.inner_text(".error")
    assert page.url.endswith("/console/sign-in")
    await page.fill("input[name=email]", shops.manager)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form.sign-in button[type=submit]")
    await page.wait_for_load_state("networkidle")
    assert page.url.endswith("/console")
    assert await page.locator("#team-table").count() == 1
    await page.click("#sign-out")
    await page.wait_for_load_state("networkidle")
    assert page.url.endswith("/console/sign-in")
    await b.open("/console")
    assert page.url.endswith("/console/sign-in"), "the session ended"
    b.check()
    await b.context.close()


async def test_team_page_equals_v1_metrics_and_every_page_renders(
    browser: Browser, live_url: str, shops: Shops
) -> None:
    b = await _signed_in(browser, live_url, shops.manager)
    async with httpx.AsyncClient(base_url=live_url, timeout=HTTP_TIMEOUT) as api:
        for start, end, period in (
            ("2026-11-16", "2026-11-22", "last_week"),
            ("2026-11-03", "2026-11-23", "custom"),
            ("2026-11-23", "2026-11-23", "today"),
        ):
            page = await b.open(
                f"/console?period={period}&from={start}&to={end}", shot=f"team-{period}"
            )
            shown = await page.eval_on_selector_all(
                "#team-table tbody tr",
                """rows => Object.fromEntries(rows.map(r => [r.dataset.agent,
                     Object.fromEntries([...r.querySelectorAll('td[data-metric]')]
                       .map(td => [td.dataset.metric, td.dataset.value]))]))""",
            )
            r = await api.get(
                "/v1/metrics",
                params={"from": start, "to": end, "granularity": "total"},
                headers=shops.team_key,
            )
            expected = {
                row["agent_id"]: {
                    **{
                        k: "" if v is None else str(v)
                        for k, v in row.items()
                        if k not in ("period", "agent_id", "violations")
                    },
                    **{f"violations.{k}": str(v) for k, v in row["violations"].items()},
                }
                for row in r.json()["rows"]
            }
            assert shown == expected and len(shown) == 3, period
    await b.open("/console?period=this_week&lang=en", shot="team-en")
    assert "inquiry conversion rate" in await b.page.inner_text("#team-table thead")
    await b.open("/console?period=this_week&lang=zh")
    for path, shot in (
        ("/console/agents/%E5%B0%8F%E7%BE%8E", "agent"),
        ("/console/performance", "performance"),
        ("/console/qa", "qa"),
        ("/console/alerts", "alerts"),
        ("/console/transcript?buyer_id=buyer-1&day=2026-11-11", "transcript"),
    ):
        page = await b.open(path, shot=shot)
        assert await page.locator("main").count() == 1
    agent_page = await b.open("/console/agents/%E5%B0%8F%E7%BE%8E")
    assert "周奖金: 本周" in await agent_page.inner_text("main")
    b.check()
    await b.context.close()


async def test_lost_inquiry_marked_by_keyboard_survives_a_rescore(
    browser: Browser, live_url: str, shops: Shops, api_engine: AsyncEngine
) -> None:
    b = await _signed_in(browser, live_url, shops.lost_manager)
    page = await b.open(f"/console/lost?{RANGE}", shot="lost-queue")
    await page.click("#queue tbody tr:first-child a")
    await page.wait_for_load_state("networkidle")
    assert "buyer_id=b1" in page.url
    await b.screenshot("lost-inquiry")
    assert await page.locator(".msg.bot").count() == 1
    assert await page.locator("[data-slow]").count() == 1
    await page.keyboard.press("1")  # 价格: marked, and on to the next unreviewed one
    await page.wait_for_url("**buyer_id=b2**")
    await page.wait_for_load_state("networkidle")
    price = page.locator('#cause-summary tr[data-cause="price"] td[data-buyers]')
    assert await price.inner_text() == "1"
    assert "¥99.00" in await page.inner_text('#cause-summary tr[data-cause="price"]')
    await page.keyboard.press("j")  # reviewed ones come last: b1 follows b2 now
    await page.wait_for_url("**buyer_id=b1**")
    await page.wait_for_load_state("networkidle")
    assert await page.locator('button[data-key="1"].on').count() == 1
    await page.keyboard.press("k")
    await page.wait_for_url("**buyer_id=b2**")
    await page.keyboard.press("j")
    await page.wait_for_url("**buyer_id=b1**")
    await run_rescore(engine=api_engine, shop_id=shops.lost, job_id="browser-again")
    await page.reload()
    await page.wait_for_load_state("networkidle")
    assert await page.locator('button[data-key="1"].on').count() == 1, "the mark survived"
    b.check()
    await b.context.close()


async def test_agents_and_other_shops_are_kept_out(
    browser: Browser, live_url: str, shops: Shops
) -> None:
    b = await _signed_in(browser, live_url, shops.agent)
    assert b.page.url.endswith("/console/agents/%E5%B0%8F%E7%BA%A2")
    await b.screenshot("agent-own")
    forbidden = {
        "/console/agents/%E5%B0%8F%E7%BE%8E",
        "/console/transcript",
        "/console/performance",
        "/console/lost/mark",
    }
    b.allowed |= forbidden
    r = await b.page.goto(live_url + "/console/agents/%E5%B0%8F%E7%BE%8E")
    assert r is not None and r.status == 403
    r = await b.page.goto(live_url + "/console/transcript?buyer_id=buyer-1&day=2026-11-11")
    assert r is not None and r.status == 403 and "不知道" not in await b.page.content()
    r = await b.page.goto(live_url + "/console/performance")
    assert r is not None and r.status == 403
    no_csrf = await b.page.request.post(
        live_url + "/console/lost/mark",
        form={"agent_id": "小红", "buyer_id": "x", "day": "2026-11-11", "cause": "price"},
    )
    assert no_csrf.status == 403
    b.check()
    await b.context.close()
    other = await _signed_in(browser, live_url, shops.lost_manager)
    other.allowed.add("/console/agents/%E5%B0%8F%E7%BE%8E")
    r = await other.page.goto(live_url + "/console/agents/%E5%B0%8F%E7%BE%8E")
    assert r is not None and r.status == 404, "another shop's agent does not exist here"
    r = await other.page.goto(live_url + "/console/transcript?buyer_id=buyer-1&day=2026-11-11")
    assert r is not None and "不知道" not in await other.page.content()
    await other.context.close()
