"""The bad-review list and review metrics through the API (SPEC §11): service agent, the
review, the transcript link, marks and filters; the review numbers in /v1/metrics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.rescore import run_rescore
from shared.schema import chat_messages, order_events, review_events

from .conftest import make_shop
from .fixtures_rows import CST, message

T0 = datetime(2026, 11, 11, 10, 0, tzinfo=CST)


def _order(shop_id: str, event_id: str, order_id: str, buyer: str, at: datetime) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "event_id": event_id,
        "type": "order.created",
        "order_id": order_id,
        "buyer_id": buyer,
        "occurred_at": at,
        "amount": "99.00",
        "body": {},
        "src_topic": "cs.order.v1",
        "src_partition": 0,
        "src_offset": 0,
    }


def _review(
    shop_id: str, event_id: str, order_id: str, at: datetime, rating: str, text: str, **dsr: int
) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "event_id": event_id,
        "order_id": order_id,
        "buyer_id": "someone",
        "posted_at": at,
        "rating": rating,
        "text": text,
        **{f"dsr_{k}": dsr.get(k) for k in ("item", "service", "logistics")},
        "body": {},
        "src_topic": "cs.order.v1",
        "src_partition": 0,
        "src_offset": 0,
    }


@pytest.fixture
async def shop(client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine) -> Any:
    """b1 asks s:小美 on 11-11 and orders o-1 an hour later (hers); b2 orders o-2 with no
    chat (silent); b3 asks x:Amy and orders o-3. Reviews: o-1 bad on 11-13 (item 1);
    o-2 bad on 11-14 (no DSR); o-3 bad on 11-13 then changed to good naming 'AMY' and
    小美 on 11-14 (service 5)."""
    shop_id, headers = await make_shop(client, admin)
    day = 86400
    async with api_engine.begin() as conn:
        await conn.execute(
            insert(chat_messages),
            [
                message(shop_id, "m1", "b1", "s:小美", "buyer", 0, "这个有货吗"),
                message(shop_id, "m2", "b1", "s:小美", "agent", 20, "亲, 有的"),
                message(shop_id, "m3", "b3", "x:Amy", "buyer", 30, "发什么快递"),
            ],
        )
        await conn.execute(
            insert(order_events),
            [
                _order(shop_id, "o1", "o-1", "b1", T0 + timedelta(hours=1)),
                _order(shop_id, "o2", "o-2", "b2", T0 + timedelta(hours=2)),
                _order(shop_id, "o3", "o-3", "b3", T0 + timedelta(hours=3)),
            ],
        )
        await conn.execute(
            insert(review_events),
            [
                _review(
                    shop_id, "r1", "o-1", T0 + timedelta(seconds=2 * day), "bad", "太慢", item=1
                ),
                _review(shop_id, "r2", "o-2", T0 + timedelta(seconds=3 * day), "bad", "破了"),
                _review(shop_id, "r3", "o-3", T0 + timedelta(seconds=2 * day), "bad", "差"),
                _review(
                    shop_id,
                    "r4",
                    "o-3",
                    T0 + timedelta(seconds=3 * day),
                    "good",
                    "AMY和小美好",
                    service=5,
                ),
            ],
        )
    await run_rescore(engine=api_engine, shop_id=shop_id, job_id="reviews")
    return shop_id, headers


async def _list(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[Any]:
    r = await client.get("/v1/bad-reviews", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_bad_review_list_shows_agent_review_transcript_and_mark(
    client: httpx.AsyncClient, admin: dict[str, str], shop: Any
) -> None:
    _, headers = shop
    items = await _list(client, headers)
    # o-3's review is now good: it left the list. Newest day first: o-2 (11-14), o-1 (11-13).
    assert [i["order_id"] for i in items] == ["o-2", "o-1"]
    silent, served = items
    assert silent["agent_id"] is None and silent["inquiry_day"] is None
    assert served["agent_id"] == "s:小美" and served["inquiry_day"] == "2026-11-11"
    assert served["buyer_id"] == "b1"
    assert served["review"]["event_id"] == "r1"
    assert served["review"]["dsr"] == {"item": 1}
    assert served["review"]["day"] == "2026-11-13"
    # 15 days (aftersale_lookback) before the placement on 11-11, to the review's day.
    assert served["transcript_url"] == "/v1/buyers/b1/transcript?from=2026-10-27&to=2026-11-13"
    assert served["mark"] is None
    # Filters: the review's days, the service agent.
    assert [i["order_id"] for i in await _list(client, headers, to="2026-11-13")] == ["o-1"]
    assert [i["order_id"] for i in await _list(client, headers, agent_id="s:小美")] == ["o-1"]
    # A mark joins the list; cause and reviewed filter it; it stays through a rescore.
    body = {"order_id": "o-1", "cause": "slow_reply", "note": "回复慢", "reviewed": True}
    r = await client.put("/v1/review-marks/bad-reviews", headers=headers, json=body)
    assert r.status_code == 200, r.text
    assert [i["order_id"] for i in await _list(client, headers, cause="slow_reply")] == ["o-1"]
    assert [i["order_id"] for i in await _list(client, headers, reviewed="false")] == ["o-2"]
    # Pages: one item each, the cursor carries on.
    r = await client.get("/v1/bad-reviews", headers=headers, params={"limit": 1})
    first = r.json()
    r = await client.get(
        "/v1/bad-reviews", headers=headers, params={"limit": 1, "cursor": first["next_cursor"]}
    )
    assert [i["order_id"] for i in first["items"] + r.json()["items"]] == ["o-2", "o-1"]
    # Another shop sees none of it.
    _, other = await make_shop(client, admin)
    assert await _list(client, other) == []


async def test_review_metrics_by_agent_and_shop(client: httpx.AsyncClient, shop: Any) -> None:
    _, headers = shop
    params = {"from": "2026-11-13", "to": "2026-11-14", "granularity": "total"}
    r = await client.get("/v1/metrics", headers=headers, params={**params, "group_by": "agent"})
    assert r.status_code == 200, r.text
    rows = {row["agent_id"]: row for row in r.json()["rows"]}
    # 小美: o-1's bad review (1 review, 1 bad: rate 1.0) and named in o-3's good review.
    mei = rows["s:小美"]
    assert (mei["reviews"], mei["bad_reviews"], mei["bad_review_rate"]) == (1, 1, 1.0)
    assert mei["review_mentions"] == 1
    # Amy: o-3's review is the good one (r4): 1 review, good, rate 0.0; named as 'AMY'.
    amy = rows["x:Amy"]
    assert (amy["reviews"], amy["good_reviews"], amy["bad_review_rate"]) == (1, 1, 0.0)
    assert amy["review_mentions"] == 1
    r = await client.get("/v1/metrics", headers=headers, params={**params, "group_by": "shop"})
    [shop_row] = r.json()["rows"]
    # Three reviewed orders, two bad (o-1, o-2): 2/3. DSR: item 1 (o-1), service 5 (o-3).
    assert (shop_row["reviews_total"], shop_row["bad_reviews_total"]) == (3, 2)
    assert shop_row["bad_review_rate_total"] == pytest.approx(2 / 3)
    assert (shop_row["avg_dsr_item"], shop_row["avg_dsr_service"]) == (1.0, 5.0)
    assert shop_row["avg_dsr_logistics"] is None


async def test_bad_review_list_as_csv(client: httpx.AsyncClient, shop: Any) -> None:
    import csv
    import io

    _, headers = shop
    body = {"order_id": "o-1", "cause": "attitude", "note": "=1+1", "reviewed": True}
    assert (
        await client.put("/v1/review-marks/bad-reviews", headers=headers, json=body)
    ).status_code == 200
    r = await client.get("/v1/bad-reviews", headers=headers, params={"format": "csv", "lang": "en"})
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, *data = rows
    assert [row[header.index("order id")] for row in data] == ["o-2", "o-1"]
    o1 = dict(zip(header, data[1], strict=True))
    assert o1["agent"] == "s:小美" and o1["rating"] == "bad" and o1["DSR item"] == "1"
    assert o1["DSR service"] == "" and o1["cause"] == "attitude"
    assert o1["note"] != "=1+1"  # a formula-like note is neutralised


async def test_plans_levels_and_alerts_accept_the_review_metrics(
    client: httpx.AsyncClient, shop: Any
) -> None:
    """The catalogue's new metrics work wherever a metric is named (SPEC §7, §8, §11)."""
    _, headers = shop
    # A monthly bonus on bad_review_rate (lower is better): 0 % → 300, ≤ 50 % → 100.
    plan = {
        "name": "差评率奖金",
        "metric": "bad_review_rate",
        "period": "month",
        "direction": "lower",
        "tiers": [{"threshold": 0.5, "amount": 100}, {"threshold": 0, "amount": 300}],
    }
    r = await client.post("/v1/bonus-plans", headers=headers, json=plan)
    assert r.status_code == 201, r.text
    r = await client.get(
        f"/v1/bonus-plans/{r.json()['id']}/bonuses", headers=headers, params={"period": "2026-11"}
    )
    assert r.status_code == 200, r.text
    bonuses = {b["agent_id"]: b for b in r.json()["bonuses"]}
    # 小美: 1 bad of 1 (100 %) → nothing; Amy: 0 of 1 → 300.
    assert bonuses["s:小美"]["total"] == "0.00"
    assert bonuses["x:Amy"]["total"] == "300.00"
    # An honour level that requires being named in good reviews (好评点名).
    honour = {
        "name": "好评之星",
        "period": "month",
        "levels": [
            {
                "name": "好评之星",
                "requirements": [{"metric": "review_mentions", "comparison": ">=", "value": 1}],
            }
        ],
    }
    r = await client.post("/v1/honour-plans", headers=headers, json=honour)
    assert r.status_code == 201, r.text
    r = await client.get(
        f"/v1/honour-plans/{r.json()['id']}/levels", headers=headers, params={"period": "2026-11"}
    )
    levels = {a["agent_id"]: a["level"] for a in r.json()["agents"]}
    assert levels == {"s:小美": "好评之星", "x:Amy": "好评之星"}
    # An alert on the shop's bad-review rate, and a leaderboard by mentions.
    rule = {
        "name": "差评率过高",
        "scope": "shop",
        "metric": "bad_review_rate_total",
        "comparison": "gt",
        "threshold": 0.5,
        "window": "last_7_days",
        "min_sample": 2,
        "sample_metric": "reviews_total",
    }
    r = await client.post("/v1/alert-rules", headers=headers, json=rule)
    assert r.status_code == 201, r.text
    r = await client.get(
        "/v1/leaderboards/best",
        headers=headers,
        params={"metric": "review_mentions", "period": "2026-11"},
    )
    assert r.status_code == 200, r.text
    # Both named once in November (the 好评点名 prize's board), ties in code-point order.
    assert [(i["agent_id"], i["value"]) for i in r.json()["items"]] == [
        ("s:小美", 1),
        ("x:Amy", 1),
    ]
