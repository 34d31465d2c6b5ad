"""Review work marks (SPEC §11): cause, note and reviewed on lost inquiries and bad
reviews, through the API; they never change a number and survive rescores."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.rescore import run_rescore
from shared.schema import chat_messages, lost_inquiry_marks, order_events, shops

from .conftest import make_shop
from .fixtures_rows import CST, message
from .test_admin_and_auth import assert_problem

DAY = "2026-11-11"
T0 = datetime(2026, 11, 11, 10, 0, tzinfo=CST)


def _order(shop_id: str, event_id: str, kind: str, buyer: str, at: datetime) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "event_id": event_id,
        "type": kind,
        "order_id": "o-1",
        "buyer_id": buyer,
        "occurred_at": at,
        "amount": "99.00",
        "body": {},
        "src_topic": "cs.order.v1",
        "src_partition": 0,
        "src_offset": 0,
    }


async def _rescore(engine: AsyncEngine, shop_id: str) -> None:
    """An admin rescore, run as the scoring process runs a job (its job row is not needed
    for the rebuild itself)."""
    await run_rescore(engine=engine, shop_id=shop_id, job_id="marks")


@pytest.fixture
async def shop(client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine) -> Any:
    """b1 asks a1 and b2 asks a2 on 2026-11-11; a bot message five days later moves the
    watermark past the 72 h window, so both inquiries are lost once scored. b1 places
    order o-1 (unpaid) an hour later: ordered, still lost."""
    shop_id, headers = await make_shop(client, admin)
    async with api_engine.begin() as conn:
        await conn.execute(
            insert(chat_messages),
            [
                message(shop_id, "m1", "b1", "a1", "buyer", 0, "这个有货吗"),
                message(shop_id, "m2", "b1", "a1", "agent", 20, "亲, 有的"),
                message(shop_id, "m3", "b2", "a2", "buyer", 30, "能便宜点吗"),
                message(shop_id, "m4", "b9", None, "bot", 5 * 86400, "您好"),
            ],
        )
        await conn.execute(
            insert(order_events),
            [_order(shop_id, "o1", "order.created", "b1", T0 + timedelta(hours=1))],
        )
    await _rescore(api_engine, shop_id)
    return shop_id, headers


async def _lost(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[Any]:
    r = await client.get("/v1/inquiries", headers=headers, params={"status": "lost", **params})
    assert r.status_code == 200, r.text
    return [(i["buyer_id"], i["mark"]) for i in r.json()["items"]]


async def _metrics(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    params = {"from": DAY, "to": DAY, "granularity": "total", "group_by": "agent"}
    r = await client.get("/v1/metrics", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def _version(engine: AsyncEngine, shop_id: str) -> int:
    async with engine.connect() as conn:
        query = select(shops.c.rollup_version).where(shops.c.shop_id == shop_id)
        return int((await conn.execute(query)).scalar_one())


async def test_marks_on_lost_inquiries_filter_and_survive_rescores(
    client: httpx.AsyncClient, api_engine: AsyncEngine, shop: Any
) -> None:
    shop_id, headers = shop
    assert await _lost(client, headers) == [("b1", None), ("b2", None)]
    numbers, version = await _metrics(client, headers), await _version(api_engine, shop_id)

    body = {"agent_id": "a1", "buyer_id": "b1", "day": DAY, "cause": "price", "note": "嫌贵"}
    r = await client.put("/v1/review-marks/lost-inquiries", headers=headers, json=body)
    assert r.status_code == 200, r.text
    mark = r.json()
    assert {k: mark[k] for k in (*body, "reviewed")} == {**body, "reviewed": False}
    await client.put(
        "/v1/review-marks/lost-inquiries",
        headers=headers,
        json={"agent_id": "a2", "buyer_id": "b2", "day": DAY, "reviewed": True},
    )

    # Filters: cause, reviewed (false: unmarked and not yet reviewed), agent, day.
    by_cause = await _lost(client, headers, cause="price")
    assert [(b, m["cause"], m["note"]) for b, m in by_cause] == [("b1", "price", "嫌贵")]
    assert [b for b, _ in await _lost(client, headers, reviewed=True)] == ["b2"]
    assert [b for b, _ in await _lost(client, headers, reviewed=False)] == ["b1"]
    assert [b for b, _ in await _lost(client, headers, agent_id="a2", reviewed=True)] == ["b2"]
    assert await _lost(client, headers, **{"from": "2026-11-12", "to": "2026-11-12"}) == []
    assert [b for b, _ in await _lost(client, headers, **{"from": DAY, "to": DAY})] == ["b1", "b2"]
    assert_problem(await client.get("/v1/inquiries", headers=headers, params={"cause": "x"}), 422)

    # A mark never changes a number (nor invalidates the metrics cache).
    assert await _metrics(client, headers) == numbers
    assert await _version(api_engine, shop_id) == version

    # A rescore rebuilds the inquiries; the marks stay. b1's order is paid meanwhile: its
    # inquiry is converted now and leaves the lost list, its mark goes with it.
    async with api_engine.begin() as conn:
        paid = _order(shop_id, "o2", "order.paid", "b1", T0 + timedelta(hours=2))
        await conn.execute(insert(order_events), [paid])
    await _rescore(api_engine, shop_id)
    assert [(b, m["reviewed"]) for b, m in await _lost(client, headers)] == [("b2", True)]
    converted = (
        await client.get("/v1/inquiries", headers=headers, params={"status": "converted"})
    ).json()["items"]
    assert [(i["buyer_id"], i["mark"]["cause"]) for i in converted] == [("b1", "price")]
    assert await _metrics(client, headers) != numbers  # the payment did move the numbers

    # Replacing a mark keeps when it was first made.
    again = {**body, "cause": "stock", "note": "", "reviewed": True}
    r = await client.put("/v1/review-marks/lost-inquiries", headers=headers, json=again)
    assert r.status_code == 200
    assert (r.json()["cause"], r.json()["created_at"]) == ("stock", mark["created_at"])
    assert r.json()["updated_at"] >= mark["updated_at"]

    key = {"agent_id": "a1", "buyer_id": "b1", "day": DAY}
    r = await client.delete("/v1/review-marks/lost-inquiries", headers=headers, params=key)
    assert r.status_code == 204
    assert_problem(
        await client.delete("/v1/review-marks/lost-inquiries", headers=headers, params=key), 404
    )
    async with api_engine.connect() as conn:
        rows = await conn.execute(
            select(lost_inquiry_marks.c.buyer_id).where(lost_inquiry_marks.c.shop_id == shop_id)
        )
        assert [r.buyer_id for r in rows] == ["b2"]


async def test_lost_inquiry_marks_refuse_what_does_not_exist(
    client: httpx.AsyncClient, shop: Any
) -> None:
    _, headers = shop
    url = "/v1/review-marks/lost-inquiries"
    key = {"agent_id": "a1", "buyer_id": "b1", "day": DAY}
    for missing in ({"agent_id": "a2"}, {"day": "2026-11-12"}, {"buyer_id": "nobody"}):
        problem = assert_problem(
            await client.put(url, headers=headers, json={**key, **missing}), 404
        )
        assert "/v1/inquiries" in str(problem["detail"])
    for wrong in (
        {"cause": "weather"},
        {"note": "x" * 2001},
        {"reviewed": "maybe"},
        {"day": "11/11"},
        {"unknown": 1},
        {"note": "a\x00b"},
    ):
        assert_problem(await client.put(url, headers=headers, json={**key, **wrong}), 422)
    assert_problem(await client.put(url, headers=headers, json={"agent_id": "a1"}), 422)


async def test_bad_review_marks_by_order(
    client: httpx.AsyncClient, admin: dict[str, str], shop: Any
) -> None:
    _, headers = shop
    url = "/v1/review-marks/bad-reviews"
    body = {"order_id": "o-1", "cause": "logistics", "note": "快递慢", "reviewed": False}
    r = await client.put(url, headers=headers, json=body)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in body} == body
    assert_problem(await client.put(url, headers=headers, json={"order_id": "o-404"}), 404)
    # Another shop's order is a 404 too (the id exists only in this shop).
    _, other = await make_shop(client, admin)
    assert_problem(await client.put(url, headers=other, json=body), 404)
    assert_problem(await client.delete(url, headers=other, params={"order_id": "o-1"}), 404)
    assert (
        await client.delete(url, headers=headers, params={"order_id": "o-1"})
    ).status_code == 204
    assert_problem(await client.delete(url, headers=headers, params={"order_id": "o-1"}), 404)
