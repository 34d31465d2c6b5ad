"""/v1/alert-rules through the real app, and the state it shows after an evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.violations import ViolationReport
from services.alerts import evaluate_after_batch
from shared.schema import agent_daily, shops
from tests.fixtures.clock import NOW
from tests.webhooks.api_client import api, new_shop

RULE = {
    "name": "conversion below 40 %",
    "scope": "agent",
    "metric": "inquiry_conversion_rate",
    "comparison": "lt",
    "threshold": 0.4,
    "window": "today",
    "min_sample": 5,
}


async def test_rule_crud_validation_and_isolation(engine: AsyncEngine, database_url: str) -> None:
    async with api(engine, database_url, allow_private=False) as client:
        _, key = await new_shop(client)
        _, other = await new_shop(client)
        r = await client.post("/v1/alert-rules", headers=key, json=RULE)
        assert r.status_code == 201, r.text
        rule = r.json()
        assert rule["sample_metric"] == "inquiries" and rule["cooldown_seconds"] == 3600
        assert rule["window"] == "today" and rule["threshold"] == 0.4
        rule_id = rule["rule_id"]
        listed = (await client.get("/v1/alert-rules", headers=key)).json()
        assert [x["rule_id"] for x in listed["items"]] == [rule_id]
        r = await client.patch(
            f"/v1/alert-rules/{rule_id}",
            headers=key,
            json={"threshold": 0.35, "window": "last_7_days"},
        )
        assert r.status_code == 200 and r.json()["threshold"] == 0.35
        assert r.json()["states"] == []
        assert (await client.get(f"/v1/alert-rules/{rule_id}", headers=other)).status_code == 404
        assert (await client.delete(f"/v1/alert-rules/{rule_id}", headers=other)).status_code == 404
        assert (await client.delete(f"/v1/alert-rules/{rule_id}", headers=key)).status_code == 204
        assert (await client.get(f"/v1/alert-rules/{rule_id}", headers=key)).status_code == 404

        for bad, where in (
            ({**RULE, "metric": "happiness"}, "unknown metric"),
            ({**RULE, "metric": "placed_orders"}, "unknown metric"),  # shop-level only
            ({**RULE, "scope": "shop", "agent_id": "a1"}, "agent_id"),
            ({**RULE, "sample_metric": "sales_amount"}, "sample_metric"),
            ({**RULE, "window": "yesterday"}, "window"),
            ({**RULE, "comparison": "<"}, "comparison"),
            ({**RULE, "min_sample": -1}, "min_sample"),
        ):
            r = await client.post("/v1/alert-rules", headers=key, json=bad)
            assert r.status_code == 422, bad
            assert r.headers["content-type"] == "application/problem+json"
            assert where in r.text
        shop_rule = {**RULE, "scope": "shop", "metric": "cs_sales_share"}
        r = await client.post("/v1/alert-rules", headers=key, json=shop_rule)
        assert r.status_code == 201 and r.json()["sample_metric"] == "paid_orders_total"


async def test_state_shows_after_evaluation(engine: AsyncEngine, database_url: str) -> None:
    async with api(engine, database_url, allow_private=False) as client:
        shop_id, key = await new_shop(client)
        rule_id = (await client.post("/v1/alert-rules", headers=key, json=RULE)).json()["rule_id"]
        today = date(2026, 11, 11)
        async with engine.begin() as conn:
            await conn.execute(
                update(shops)
                .where(shops.c.shop_id == shop_id)
                .values(watermark=datetime(2026, 11, 11, 9, 0, tzinfo=UTC))
            )
            await conn.execute(
                insert(agent_daily).values(
                    shop_id=shop_id, agent_id="小美", day=today, inquiries=10, paid_buyers=2
                )
            )
            queued = await evaluate_after_batch(
                session=conn,
                shop_id=shop_id,
                changed_agent_days={("小美", today)},
                violations=ViolationReport(),
                now=NOW,
            )
        assert queued == 1
        (state,) = (await client.get(f"/v1/alert-rules/{rule_id}", headers=key)).json()["states"]
        assert state["agent_id"] == "小美" and state["breached"] is True
        assert state["value"] == 0.2 and state["sample"] == 10
