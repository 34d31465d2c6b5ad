"""/v1/bonus-plans and computed bonuses over agent_daily (data: conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, assert_problem

# SPEC §7: weekly inquiry conversion 50 % → 800, 52 % → 1200, 54 % → 1600, +400 per 2 %.
SPEC_PLAN: dict[str, Any] = {
    "name": "询单转化周奖金",
    "metric": "inquiry_conversion_rate",
    "period": "week",
    "tiers": [
        {"threshold": 0.50, "amount": 800},
        {"threshold": "0.52", "amount": "1200"},
        {"threshold": 0.54, "amount": 1600},
    ],
    "step": {"every": 0.02, "amount": 400},
    "deductions": {"forbidden_words": 100},
    "min_sample": {"metric": "inquiries", "minimum": 20},
}


async def test_spec_plan_bonuses_for_a_week(api: Api) -> None:
    created = await api.post("/v1/bonus-plans", SPEC_PLAN)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert created.headers["location"] == f"/v1/bonus-plans/{plan['id']}"
    assert plan["tiers"][0] == {"threshold": "0.5", "amount": "800"}
    assert plan["direction"] == "higher" and plan["baseline_periods"] is None

    r = await api.get(f"/v1/bonus-plans/{plan['id']}/bonuses", period="2026-W46")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["from"], report["to"]) == ("2026-11-09", "2026-11-15")
    by_agent = {b["agent_id"]: b for b in report["bonuses"]}
    assert list(by_agent) == ["a1", "a2", "b", "c", "m"]
    # a1: 29/50 = 58 % → top tier 1600 + 2 steps × 400 = 2400, minus 1 forbidden word × 100.
    a1 = by_agent["a1"]
    assert (a1["value"], a1["tier"], a1["steps_beyond_top"]) == (0.58, 2, 2)
    assert (a1["gross"], a1["deductions_total"], a1["total"]) == ("2400.00", "100.00", "2300.00")
    assert a1["deductions"] == [
        {
            "rule": "forbidden_words",
            "violations": 1,
            "amount_per_violation": "100.00",
            "amount": "100.00",
        }
    ]
    # b: 539/1000 = 53.9 % stays below 54 % → 1200 (the 11-16 day is in W47).
    assert (by_agent["b"]["tier"], by_agent["b"]["total"]) == (1, "1200.00")
    # m: 21/40 = 52.5 % → 1200.
    assert by_agent["m"]["total"] == "1200.00"
    # a2 (10 inquiries) and c (2) are below the minimum sample of 20.
    for agent in ("a2", "c"):
        assert (by_agent[agent]["reason"], by_agent[agent]["total"]) == ("below_min_sample", "0.00")
    assert report["total"] == "4700.00"  # 2300 + 1200 + 1200

    one = await api.get(f"/v1/bonus-plans/{plan['id']}/bonuses", period="2026-W46", agent_id="zz")
    assert one.json()["bonuses"][0]["reason"] == "no_value"
    live = await api.get(f"/v1/bonus-plans/{plan['id']}/bonuses", period="2026-W46", group="live")
    assert [b["agent_id"] for b in live.json()["bonuses"]] == ["a2"]


async def test_relative_plan_uses_each_agents_baseline(api: Api) -> None:
    body = {
        "metric": "inquiry_conversion_rate",
        "period": "week",
        "baseline_periods": 2,
        "tiers": [{"threshold": 0.02, "amount": 500}, {"threshold": 0.04, "amount": 1000}],
    }
    plan = (await api.post("/v1/bonus-plans", body)).json()
    r = await api.get(f"/v1/bonus-plans/{plan['id']}/bonuses", period="2026-W46")
    by_agent = {b["agent_id"]: b for b in r.json()["bonuses"]}
    # Baseline = the metric over W45 and W44 taken together; nobody worked in W44.
    # m: 50 % → tiers 52 %, 54 %; 52.5 % reaches the first.
    assert (by_agent["m"]["baseline"], by_agent["m"]["thresholds"]) == ("0.5", ["0.52", "0.54"])
    assert by_agent["m"]["total"] == "500.00"
    assert by_agent["a1"]["total"] == "0.00"  # 60 % → needs 62 %; has 58 %
    assert by_agent["a2"]["total"] == "1000.00"  # 20 % → 24 %/22 % easily beaten by 50 %
    assert by_agent["b"]["total"] == "0.00"  # 55 % → 57 %; has 53.9 %
    assert (by_agent["c"]["reason"], by_agent["c"]["baseline"]) == ("no_baseline", None)
    # For W47 the baseline is W46 and W45 taken together. b: (539 + 55) / (1000 + 100)
    # = 594/1100 = 0.54 (a mean of the weeks' 53.9 % and 55 % would be 54.45 %).
    w47 = await api.get(f"/v1/bonus-plans/{plan['id']}/bonuses", period="2026-W47")
    b = next(x for x in w47.json()["bonuses"] if x["agent_id"] == "b")
    assert (b["baseline"], b["thresholds"]) == ("0.54", ["0.56", "0.58"])


async def test_plan_life_cycle_list_replace_delete(api: Api) -> None:
    first = (await api.post("/v1/bonus-plans", SPEC_PLAN)).json()
    second = (await api.post("/v1/bonus-plans", {**SPEC_PLAN, "name": "second"})).json()
    page = await api.get("/v1/bonus-plans", limit=1)
    assert page.status_code == 200
    seen = [p["id"] for p in page.json()["items"]]
    cursor = page.json()["next_cursor"]
    while cursor:
        page = await api.get("/v1/bonus-plans", limit=1, cursor=cursor)
        seen += [p["id"] for p in page.json()["items"]]
        cursor = page.json()["next_cursor"]
    assert seen[-2:] == [first["id"], second["id"]]
    assert len(seen) == len(set(seen))

    replaced = await api.put(f"/v1/bonus-plans/{first['id']}", {**SPEC_PLAN, "period": "month"})
    assert replaced.status_code == 200 and replaced.json()["period"] == "month"
    got = await api.get(f"/v1/bonus-plans/{first['id']}")
    assert got.json()["period"] == "month"
    # A monthly plan is asked for a month.
    assert_problem(await api.get(f"/v1/bonus-plans/{first['id']}/bonuses", period="2026-W46"), 422)
    month = await api.get(f"/v1/bonus-plans/{first['id']}/bonuses", period="2026-11")
    assert month.status_code == 200
    assert (await api.delete(f"/v1/bonus-plans/{first['id']}")).status_code == 204
    assert_problem(await api.get(f"/v1/bonus-plans/{first['id']}"), 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"tiers": [{"threshold": 0.52, "amount": 800}, {"threshold": 0.50, "amount": 1200}]},
            ["body", "tiers", 1, "threshold"],
        ),
        (
            {"tiers": [{"threshold": 0.5, "amount": 800}, {"threshold": 0.5, "amount": 1200}]},
            ["body", "tiers", 1, "threshold"],
        ),
        ({"tiers": []}, ["body", "tiers"]),
        ({"metric": "conversion"}, ["body", "metric"]),
        ({"step": {"every": 0, "amount": 400}}, ["body", "step", "every"]),
        ({"deductions": {"rude": 5}}, ["body", "deductions", "rude"]),
        ({"min_sample": {"metric": "inquiry", "minimum": 1}}, ["body", "min_sample", "metric"]),
        ({"baseline_periods": 0}, ["body", "baseline_periods"]),
        ({"period": "day"}, ["body", "period"]),
        ({"tiers": [{"threshold": "abc", "amount": 1}]}, ["body", "tiers", 0, "threshold"]),
        ({"tiers": [{"threshold": "NaN", "amount": 1}]}, ["body", "tiers", 0, "threshold"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
async def test_invalid_plans_are_422_problems(
    api: Api, change: dict[str, Any], field: list[Any]
) -> None:
    problem = assert_problem(await api.post("/v1/bonus-plans", {**SPEC_PLAN, **change}), 422)
    assert field in [e["loc"] for e in problem["errors"]], problem


async def test_bad_periods_are_422(api: Api) -> None:
    plan = (await api.post("/v1/bonus-plans", SPEC_PLAN)).json()
    for period in ("2026-W54", "2026-13", "last week"):
        problem = assert_problem(
            await api.get(f"/v1/bonus-plans/{plan['id']}/bonuses", period=period), 422
        )
        assert problem["errors"][0]["loc"] == ["query", "period"]


async def test_another_shops_plan_is_a_404(api: Api) -> None:
    plan = (await api.post("/v1/bonus-plans", SPEC_PLAN, shop="s2")).json()
    url = f"/v1/bonus-plans/{plan['id']}"
    assert_problem(await api.get(url), 404)
    assert_problem(await api.get(url + "/bonuses", period="2026-W46"), 404)
    assert_problem(await api.put(url, SPEC_PLAN), 404)
    # 404 even with an invalid body: nothing about another shop's plan is revealed.
    assert_problem(await api.put(url, {**SPEC_PLAN, "tiers": []}), 404)
    assert_problem(await api.delete(url), 404)
    assert plan["id"] not in [p["id"] for p in (await api.get("/v1/bonus-plans")).json()["items"]]
    # s2's own a1 earned 100 % in W46; s1's a1 is untouched by it (58 % above).
    s2 = await api.get(url + "/bonuses", shop="s2", period="2026-W46")
    assert [(b["agent_id"], b["value"]) for b in s2.json()["bonuses"]] == [("a1", 1.0)]
