"""/v1/honour-plans and computed levels for 2026-11 (data: conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, assert_problem


def req(metric: str, comparison: str, value: Any) -> dict[str, Any]:
    return {"metric": metric, "comparison": comparison, "value": value}


PLAN: dict[str, Any] = {
    "name": "月度荣誉",
    "period": "month",
    "levels": [
        {"name": "铜牌", "requirements": [req("inquiries", ">=", 20)]},
        {
            "name": "银牌",
            "requirements": [req("inquiries", ">=", 20), req("inquiry_conversion_rate", ">=", 0.5)],
        },
        {
            "name": "金牌",
            "requirements": [
                req("inquiries", ">=", 40),
                req("inquiry_conversion_rate", ">=", "0.55"),
                req("avg_qa_score", ">=", 90),
            ],
        },
        {
            "name": "钻石",
            "requirements": [
                req("inquiries", ">=", 500),
                req("inquiry_conversion_rate", ">=", 0.6),
                req("violations.forbidden_words", "==", 0),
            ],
        },
    ],
}


async def test_levels_for_a_month(api: Api) -> None:
    created = await api.post("/v1/honour-plans", PLAN)
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    r = await api.get(f"/v1/honour-plans/{plan_id}/levels", period="2026-11")
    assert r.status_code == 200, r.text
    agents = {a["agent_id"]: a for a in r.json()["agents"]}
    # November sums (inquiries / paid):
    #   m  80/41 = 51.25 %             → 银牌 (金牌 fails on conversion and QA)
    #   a1 100/59 = 59 %, QA 950/10 = 95 → 金牌 (钻石 fails: 100 < 500 and 59 % < 60 %)
    #   a2 20/7 = 35 %                  → 铜牌
    #   b  1105/599 = 54.2 %            → 银牌
    #   c  2/2                          → none (2 < 20 inquiries)
    assert {a: v["level"] for a, v in agents.items()} == {
        "m": "银牌",
        "a1": "金牌",
        "a2": "铜牌",
        "b": "银牌",
        "c": None,
    }
    gold_m = agents["m"]["levels"][2]
    assert [q["held"] for q in gold_m["requirements"]] == [True, False, False]
    assert gold_m["requirements"][1] == {
        "metric": "inquiry_conversion_rate",
        "comparison": ">=",
        "value": "0.55",
        "actual": 0.5125,
        "held": False,
    }
    assert gold_m["requirements"][2]["actual"] is None  # no QA sessions: no value
    diamond_a1 = agents["a1"]["levels"][3]["requirements"]
    assert [q["held"] for q in diamond_a1] == [False, False, False]  # 1 forbidden word too

    one = await api.get(f"/v1/honour-plans/{plan_id}/levels", period="2026-11", agent_id="a2")
    assert [a["agent_id"] for a in one.json()["agents"]] == ["a2"]
    assert_problem(await api.get(f"/v1/honour-plans/{plan_id}/levels", period="2026-W46"), 422)


async def test_honour_plan_life_cycle(api: Api) -> None:
    plan = (await api.post("/v1/honour-plans", PLAN)).json()
    weekly = {**PLAN, "period": "week", "levels": PLAN["levels"][:1]}
    replaced = await api.put(f"/v1/honour-plans/{plan['id']}", weekly)
    assert replaced.status_code == 200
    assert [lv["name"] for lv in replaced.json()["levels"]] == ["铜牌"]
    got = (await api.get(f"/v1/honour-plans/{plan['id']}")).json()
    assert got["period"] == "week" and got["levels"][0]["requirements"][0]["value"] == "20"
    week = await api.get(f"/v1/honour-plans/{plan['id']}/levels", period="2026-W46")
    # W46: m 40, a1 50, b 1000 reach 20 inquiries; a2 10 and c 2 do not.
    assert {a["agent_id"]: a["level"] for a in week.json()["agents"]} == {
        "m": "铜牌",
        "a1": "铜牌",
        "b": "铜牌",
        "a2": None,
        "c": None,
    }
    listed = (await api.get("/v1/honour-plans")).json()["items"]
    assert plan["id"] in [p["id"] for p in listed]
    assert (await api.delete(f"/v1/honour-plans/{plan['id']}")).status_code == 204
    assert_problem(await api.delete(f"/v1/honour-plans/{plan['id']}"), 404)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"levels": []}, ["body", "levels"]),
        (
            {"levels": [{"name": "a", "requirements": []}, {"name": "a", "requirements": []}]},
            ["body", "levels", 1, "name"],
        ),
        (
            {"levels": [{"name": "a", "requirements": [req("conv", ">=", 1)]}]},
            ["body", "levels", 0, "requirements", 0, "metric"],
        ),
        (
            {"levels": [{"name": "a", "requirements": [req("inquiries", "=>", 1)]}]},
            ["body", "levels", 0, "requirements", 0, "comparison"],
        ),
        ({"period": "year"}, ["body", "period"]),
    ],
)
async def test_invalid_honour_plans_are_422(
    api: Api, change: dict[str, Any], loc: list[Any]
) -> None:
    problem = assert_problem(await api.post("/v1/honour-plans", {**PLAN, **change}), 422)
    assert loc in [e["loc"] for e in problem["errors"]]


async def test_another_shops_honour_plan_is_a_404(api: Api) -> None:
    plan = (await api.post("/v1/honour-plans", PLAN, shop="s2")).json()
    url = f"/v1/honour-plans/{plan['id']}"
    assert_problem(await api.get(url), 404)
    assert_problem(await api.get(url + "/levels", period="2026-11"), 404)
    assert_problem(await api.put(url, PLAN), 404)
    assert_problem(await api.delete(url), 404)
