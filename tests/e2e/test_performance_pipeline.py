"""SPEC §7 over rollups produced by the real scoring path (events through the broker and
the scoring shell), with the expected values worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from shared.settings import Settings
from tests.scoring.stream import CST, chat, drain, ingest, order, register_shop

SHOP = "perf-shop"
ADMIN = "perf-admin-token-0123456789"
CONV = "inquiry_conversion_rate"
W45_DAY = datetime(2026, 11, 4, 10, 0, tzinfo=CST)  # ISO week 2026-W45 (Nov 2-8)
W46_DAY = datetime(2026, 11, 11, 10, 0, tzinfo=CST)  # ISO week 2026-W46 (Nov 9-15)
# (agent, day, inquiries, of which paid)
PLAN = [
    ("A", W45_DAY, 2, 0),
    ("B", W45_DAY, 2, 2),
    ("C", W45_DAY, 2, 0),
    ("A", W46_DAY, 4, 2),
    ("B", W46_DAY, 2, 2),
    ("C", W46_DAY, 4, 1),
]


def inquiries(agent: str, day: datetime, count: int, paid: int) -> list[dict[str, Any]]:
    """`count` buyers each ask `agent` once and get a reply; the first `paid` order and pay."""
    events = []
    for n in range(count):
        buyer = f"{agent}-{day:%d}-{n}"
        at = day + timedelta(minutes=10 * n)
        events += [
            chat(SHOP, f"{buyer}-q", buyer, agent, "buyer", at, "这款还有货吗"),
            chat(SHOP, f"{buyer}-a", buyer, agent, "agent", at + timedelta(seconds=8)),
        ]
        if n < paid:
            oid = f"O-{buyer}"
            events += [
                order(SHOP, f"{buyer}-c", "created", oid, buyer, at + timedelta(minutes=3)),
                order(SHOP, f"{buyer}-p", "paid", oid, buyer, at + timedelta(minutes=4)),
            ]
    return events


@pytest.fixture(scope="module")
async def api(engine: AsyncEngine, settings: Settings) -> Any:
    await register_shop(engine, SHOP)
    events = [e for plan in PLAN for e in inquiries(*plan)]
    await ingest(engine, settings, events)
    await drain(engine, settings, "perf-e2e")
    app = create_app(settings.model_copy(update={"admin_token": ADMIN}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        key = (await client.post(f"/admin/shops/{SHOP}/api-keys", headers=admin)).json()["key"]
        client.headers["Authorization"] = f"Bearer {key}"
        # C is A's apprentice (师傅制).
        assert (await client.patch("/v1/agents/C", json={"mentor_id": "A"})).status_code == 200
        yield client


async def test_weekly_metrics_come_from_the_scoring_path(api: httpx.AsyncClient) -> None:
    r = await api.get(
        "/v1/metrics",
        params={
            "from": "2026-11-02",
            "to": "2026-11-15",
            "granularity": "week",
            "group_by": "agent",
        },
    )
    rows = {
        (x["period"], x["agent_id"]): (x["inquiries"], x["paid_buyers"], x[CONV])
        for x in r.json()["rows"]
    }
    assert rows == {
        ("2026-W45", "A"): (2, 0, 0.0),
        ("2026-W45", "B"): (2, 2, 1.0),
        ("2026-W45", "C"): (2, 0, 0.0),
        ("2026-W46", "A"): (4, 2, 0.5),
        ("2026-W46", "B"): (2, 2, 1.0),
        ("2026-W46", "C"): (4, 1, 0.25),
    }


async def test_best_and_most_improved(api: httpx.AsyncClient) -> None:
    best = (
        await api.get("/v1/leaderboards/best", params={"metric": CONV, "period": "2026-W46"})
    ).json()
    # B 100 % (W45 100 %: ±0), A 50 % (0 %: +0.5), C 25 % (0 %: +0.25).
    assert [(x["rank"], x["agent_id"], x["value"], x["change"]) for x in best["items"]] == [
        (1, "B", 1.0, 0.0),
        (2, "A", 0.5, 0.5),
        (3, "C", 0.25, 0.25),
    ]
    improved = (
        await api.get(
            "/v1/leaderboards/most-improved", params={"metric": CONV, "period": "2026-W46"}
        )
    ).json()
    assert [(x["agent_id"], x["improvement"]) for x in improved["items"]] == [
        ("A", 0.5),
        ("C", 0.25),
        ("B", 0.0),
    ]


async def test_mentor_view(api: httpx.AsyncClient) -> None:
    body = (await api.get("/v1/mentors/A/apprentices", params={"period": "2026-W46"})).json()
    # A 4 inquiries / 2 paid, C 4 / 1 → the team 8 / 3 = 0.375.
    assert (body["mentor"]["inquiries"], body["mentor"]["paid_buyers"]) == (4, 2)
    assert [(a["agent_id"], a["inquiries"], a[CONV]) for a in body["apprentices"]] == [
        ("C", 4, 0.25)
    ]
    assert (body["team"]["inquiries"], body["team"][CONV]) == (8, 0.375)


async def test_spec_bonus_plan_and_honour_levels(api: httpx.AsyncClient) -> None:
    plan = await api.post(
        "/v1/bonus-plans",
        json={
            "name": "询单转化周奖金",
            "metric": CONV,
            "period": "week",
            "tiers": [
                {"threshold": "0.50", "amount": 800},
                {"threshold": "0.52", "amount": 1200},
                {"threshold": "0.54", "amount": 1600},
            ],
            "step": {"every": "0.02", "amount": 400},
        },
    )
    assert plan.status_code == 201, plan.text
    report = (
        await api.get(f"/v1/bonus-plans/{plan.json()['id']}/bonuses", params={"period": "2026-W46"})
    ).json()
    totals = {b["agent_id"]: b["total"] for b in report["bonuses"]}
    # A 50 % → 800; B 100 % → 1600 + (100 − 54) / 2 = 23 steps × 400 = 10 800; C 25 % → 0.
    assert totals == {"A": "800.00", "B": "10800.00", "C": "0.00"}
    assert report["total"] == "11600.00"

    def req(metric: str, comparison: str, value: Any) -> dict[str, Any]:
        return {"metric": metric, "comparison": comparison, "value": value}

    levels = await api.post(
        "/v1/honour-plans",
        json={
            "name": "周荣誉",
            "period": "week",
            "levels": [
                {"name": "铜牌", "requirements": [req("inquiries", ">=", 2)]},
                {"name": "银牌", "requirements": [req("inquiries", ">=", 3), req(CONV, ">=", 0.5)]},
                {"name": "金牌", "requirements": [req(CONV, ">=", 0.9)]},
            ],
        },
    )
    assert levels.status_code == 201, levels.text
    held = (
        await api.get(
            f"/v1/honour-plans/{levels.json()['id']}/levels", params={"period": "2026-W46"}
        )
    ).json()
    # A: 4 inquiries at 50 % → 银牌 (金牌 needs 90 %); B: 100 % → 金牌 (its highest level
    # whose requirements all hold, though 银牌's 3 inquiries fail); C: 4 at 25 % → 铜牌.
    assert {a["agent_id"]: a["level"] for a in held["agents"]} == {
        "A": "银牌",
        "B": "金牌",
        "C": "铜牌",
    }
