"""The team page: the same numbers as /v1/metrics, value for value; periods; targets."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from domain.metrics import ROW_METRICS
from services.api.console import team
from services.api.console.team import value_of
from shared.rollup_version import bump_rollup_version
from tests.api.conftest import (
    insert_agent_days,
    insert_agent_responses,
    insert_agents,
    insert_shop_days,
    make_shop,
)

from .conftest import console_user, sign_in

CELL = re.compile(r'<td data-metric="([^"]+)" data-value="([^"]*)"')
ROW = re.compile(r'<tr data-agent="([^"]+)">(.*?)</tr>', re.S)
TILE = re.compile(r'<div class="tile" data-metric="([^"]+)" data-value="([^"]*)"')


def page_values(text: str) -> dict[str, dict[str, str]]:
    return {
        html.unescape(agent): {m: html.unescape(v) for m, v in CELL.findall(body)}
        for agent, body in ROW.findall(text)
    }


def api_values(rows: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    def text(v: Any) -> str:
        return "" if v is None else str(v)

    return {r["agent_id"]: {m.name: text(value_of(r, m)) for m in ROW_METRICS} for r in rows}


async def seed(engine: AsyncEngine, shop_id: str) -> None:
    await insert_agents(
        engine,
        shop_id,
        [
            {"agent_id": "小美", "group_name": "售前"},
            {"agent_id": "a2", "group_name": "售后", "display_name": "阿二"},
        ],
    )
    await insert_agent_days(
        engine,
        shop_id,
        [
            (
                "小美",
                date(2026, 11, 18),
                {
                    "inquiries": 12,
                    "paid_buyers": 5,
                    "sales_amount": 1234.5,
                    "responses": 7,
                    "response_us_sum": 91_000_000,
                    "v_slow_reply": 2,
                    "qa_sessions": 3,
                    "qa_score_sum": 270,
                },
            ),
            ("小美", date(2026, 11, 23), {"inquiries": 3, "paid_buyers": 1, "lost_inquiries": 1}),
            (
                "a2",
                date(2026, 11, 20),
                {"inquiries": 9, "paid_buyers": 2, "buyer_messages": 10, "agent_messages": 13},
            ),
        ],
    )
    # Response times for the percentiles (SPEC §11): 7 on 小美's first day, as counted.
    await insert_agent_responses(
        engine,
        shop_id,
        [("小美", date(2026, 11, 18), [3_000_000, 5_500_000, 9_000_000] * 2 + [60_000_001], [])],
    )
    await insert_shop_days(
        engine,
        shop_id,
        [
            (
                date(2026, 11, 18),
                {
                    "placed_orders": 9,
                    "paid_orders_total": 7,
                    "sales_total": 3000,
                    "silent_orders": 2,
                    "silent_sales": 500,
                },
            )
        ],
    )


async def test_team_page_equals_v1_metrics(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, key = await make_shop(client, admin)
    await seed(api_engine, shop_id)
    email = await console_user(client, admin, shop_id)
    async with sign_in(app, email) as c:
        for query in (
            {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"},
            {"period": "custom", "from": "2026-11-18", "to": "2026-11-18"},
            {"period": "last_week", "from": "2026-11-16", "to": "2026-11-22"},
        ):
            page = await c.get("/console", params=query)
            assert page.status_code == 200
            api = await client.get(
                "/v1/metrics",
                params={"from": query["from"], "to": query["to"], "granularity": "total"},
                headers=key,
            )
            assert page_values(page.text) == api_values(api.json()["rows"]), query
            assert len(page_values(page.text)) >= 1
            shop = await client.get(
                "/v1/metrics",
                params={**api.request.url.params, "group_by": "shop"},
                headers=key,
            )
            (shop_row,) = shop.json()["rows"]
            tiles = {m: html.unescape(v) for m, v in TILE.findall(page.text)}
            assert tiles == {m: "" if shop_row[m] is None else str(shop_row[m]) for m in tiles}
            assert len(tiles) == 4
        # NOW is Monday 2026-11-23 (Asia/Shanghai): "last week" is 11-16 … 11-22.
        week = await c.get("/console", params={"period": "last_week"})
        assert "2026-11-16 – 2026-11-22" in week.text
        assert set(page_values(week.text)) == {"小美", "a2"}
        today = await c.get("/console", params={"period": "today"})
        assert set(page_values(today.text)) == {"小美"}
        grouped = await c.get("/console", params={"period": "this_month", "group": "售后"})
        assert set(page_values(grouped.text)) == {"a2"}
        english = await c.get("/console", params={"period": "this_month", "lang": "en"})
        assert "inquiry conversion rate" in english.text and "询单转化率" not in english.text
        chinese = await c.get("/console", params={"period": "this_month"})
        assert "inquiry conversion rate" in chinese.text, "the language is remembered"
        back = await c.get("/console", params={"period": "this_month", "lang": "zh"})
        assert "询单转化率" in back.text
        assert "¥1,234.50" in back.text and "<polyline" in back.text


async def test_team_page_sorts_and_colours_against_targets(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, key = await make_shop(client, admin)
    await seed(api_engine, shop_id)
    for agent, value in (("小美", 10), ("a2", 10)):
        r = await client.post(
            "/v1/targets",
            json={"agent_id": agent, "period": "2026-W47", "metric": "inquiries", "value": value},
            headers=key,
        )
        assert r.status_code == 201, r.text
    email = await console_user(client, admin, shop_id)
    async with sign_in(app, email) as c:
        page = await c.get(
            "/console", params={"period": "last_week", "sort": "inquiries", "dir": "asc"}
        )
        agents = [html.unescape(a) for a, _ in ROW.findall(page.text)]
        assert agents == ["a2", "小美"]
        assert 'data-metric="inquiries" data-value="12" class="num met"' in page.text
        assert 'data-metric="inquiries" data-value="9" class="num missed"' in page.text
        desc = await c.get("/console", params={"period": "last_week", "sort": "inquiries"})
        assert [html.unescape(a) for a, _ in ROW.findall(desc.text)] == ["小美", "a2"]


async def test_team_numbers_follow_the_rollup_version(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    """The page's numbers are cached per rollup_version: a change that bumps it (as every
    scoring batch and rescore does) shows at the next request."""
    shop_id, _ = await make_shop(client, admin)
    await seed(api_engine, shop_id)
    email = await console_user(client, admin, shop_id)
    params = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
    async with sign_in(app, email) as c:
        before = page_values((await c.get("/console", params=params)).text)
        assert before["a2"]["inquiries"] == "9"
        cache = app.state.console_numbers
        hits = cache.hits
        assert page_values((await c.get("/console", params=params)).text) == before
        assert cache.hits == hits + 1
        await insert_agent_days(api_engine, shop_id, [("a2", date(2026, 11, 21), {"inquiries": 5})])
        async with api_engine.begin() as conn:
            await bump_rollup_version(session=conn, shop_ids=[shop_id])
        after = page_values((await c.get("/console", params=params)).text)
        assert after["a2"]["inquiries"] == "14"


async def test_numbers_read_beside_equal_the_numbers_read_on_the_session_alone(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    """With a second connection (the sums, sparklines and shop row read on it; half of
    the percentiles' values fetched on each) the team page's numbers are those the
    session reads alone (as it does when the pool has no connection to spare)."""
    shop_id, _ = await make_shop(client, admin)
    await seed(api_engine, shop_id)
    await insert_agent_responses(  # both agents have percentiles: each half fetches some
        api_engine,
        shop_id,
        [("a2", date(2026, 11, 20), [1_000_000, 2_000_000, 40_000_000], [2_000_000])],
    )
    asked: dict[str, Any] = {"shop_id": shop_id, "start": date(2026, 11, 1)}
    asked["end"] = date(2026, 11, 30)
    for group in (None, "售后"):
        async with AsyncSession(api_engine) as session, session.begin():
            alone = await team.numbers(session, **asked, group=group)
        async with (
            AsyncSession(api_engine) as session,
            session.begin(),
            api_engine.connect() as beside,
        ):
            together = await team.numbers(session, **asked, group=group, beside=beside)
        assert together == alone, group
        assert alone.rows and alone.shop
    assert alone.rows[0]["p50_response_seconds"] == 2.0


async def test_no_connection_is_spared_beyond_the_pool_size(database_url: str) -> None:
    engine = create_async_engine(database_url, pool_size=1)
    try:
        async with team.spare_connection(engine) as spare:
            assert spare is not None
            async with team.spare_connection(engine) as none:
                assert none is None
    finally:
        await engine.dispose()
