"""/v1/leaderboards/{best,most-improved} and /v1/mentors/{id}/apprentices (data:
conftest.py): W46 against W45."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, assert_problem

CONV = "inquiry_conversion_rate"


def ranked(body: dict) -> list[tuple]:  # type: ignore[type-arg]
    return [(r["rank"], r["agent_id"], r["value"], r["change"]) for r in body["items"]]


async def test_best_with_minimum_sample(api: Api) -> None:
    r = await api.get("/v1/leaderboards/best", metric=CONV, period="2026-W46", min_sample=20)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["previous_period"], body["from"], body["to"]) == (
        "2026-W45",
        "2026-11-09",
        "2026-11-15",
    )
    # c (2/2 = 100 %) and a2 (10 inquiries) are below 20 inquiries.
    # a1 58 % (W45 60 %: −0.02), b 53.9 % (55 %: −0.011), m 52.5 % (50 %: +0.025).
    assert ranked(body) == [
        (1, "a1", 0.58, pytest.approx(-0.02)),
        (2, "b", 0.539, pytest.approx(-0.011)),
        (3, "m", 0.525, pytest.approx(0.025)),
    ]
    everyone = await api.get("/v1/leaderboards/best", metric=CONV, period="2026-W46")
    # Without a minimum the lucky day tops it; c has no W45 value: change null.
    top = everyone.json()["items"][0]
    assert (top["agent_id"], top["change"]) == ("c", None)
    assert [r["agent_id"] for r in everyone.json()["items"]] == ["c", "a1", "b", "m", "a2"]


async def test_most_improved(api: Api) -> None:
    r = await api.get("/v1/leaderboards/most-improved", metric=CONV, period="2026-W46")
    # a2 20 % → 50 % (+0.30), m +0.025, b −0.011, a1 −0.02; c has no W45.
    assert [(x["agent_id"], x["improvement"]) for x in r.json()["items"]] == [
        ("a2", pytest.approx(0.3)),
        ("m", pytest.approx(0.025)),
        ("b", pytest.approx(-0.011)),
        ("a1", pytest.approx(-0.02)),
    ]
    sampled = await api.get(
        "/v1/leaderboards/most-improved", metric=CONV, period="2026-W46", min_sample=20
    )
    assert [x["agent_id"] for x in sampled.json()["items"]] == ["m", "b", "a1"]
    presale = await api.get(
        "/v1/leaderboards/most-improved", metric="inquiries", period="2026-W46", group="presale"
    )
    # Inquiries W45 → W46: b 100 → 1000 (+900), m 40 → 40 (0), a1 50 → 50 (0): tie by id.
    assert [(x["agent_id"], x["change"]) for x in presale.json()["items"]] == [
        ("b", 900),
        ("a1", 0),
        ("m", 0),
    ]


async def test_lower_is_better_and_explicit_direction(api: Api) -> None:
    r = await api.get(
        "/v1/leaderboards/best",
        metric="inquiries",
        period="2026-W46",
        direction="lower",
        group="presale",
    )
    assert r.json()["direction"] == "lower"
    assert [x["agent_id"] for x in r.json()["items"]] == ["m", "a1", "b"]  # 40, 50, 1000
    v = await api.get(
        "/v1/leaderboards/best",
        metric="violations.forbidden_words",
        period="2026-W46",
        group="presale",
    )
    assert v.json()["direction"] == "lower"
    assert [x["agent_id"] for x in v.json()["items"]] == ["b", "m", "a1"]


@pytest.mark.parametrize(
    "params",
    [
        {"metric": "conversion", "period": "2026-W46"},
        {"metric": CONV, "period": "2026-W60"},
        {"metric": CONV, "period": "2026-W46", "sample_metric": "x"},
        {"metric": CONV, "period": "2026-W46", "min_sample": -1},
        {"metric": CONV, "period": "2026-W46", "direction": "up"},
        {"metric": CONV},
    ],
)
async def test_bad_leaderboard_queries_are_422(api: Api, params: dict[str, Any]) -> None:
    for board in ("best", "most-improved"):
        assert_problem(await api.get(f"/v1/leaderboards/{board}", **params), 422)


async def test_mentor_view(api: Api) -> None:
    r = await api.get("/v1/mentors/m/apprentices", period="2026-W46")
    assert r.status_code == 200, r.text
    body = r.json()
    # m 40/21, a1 50/29, a2 10/5 → team 100/55 = 55 % (Σ paid / Σ inquiries).
    assert (body["mentor"]["inquiries"], body["mentor"]["paid_buyers"]) == (40, 21)
    assert [(a["agent_id"], a["group"], a["inquiries"], a[CONV]) for a in body["apprentices"]] == [
        ("a1", "presale", 50, 0.58),
        ("a2", "live", 10, 0.5),
    ]
    assert (body["team"]["inquiries"], body["team"][CONV]) == (100, 0.55)
    assert body["team"]["violations"]["forbidden_words"] == 1
    ranged = await api.get(
        "/v1/mentors/m/apprentices", **{"from": "2026-11-02", "to": "2026-11-16"}
    )
    # m 80/41, a1 100/59, a2 20/7 → 200/107 = 0.535.
    assert (ranged.json()["team"]["inquiries"], ranged.json()["team"][CONV]) == (200, 0.535)
    lonely = await api.get("/v1/mentors/b/apprentices", period="2026-W46")
    assert lonely.json()["apprentices"] == [] and lonely.json()["team"]["inquiries"] == 1000


async def test_mentor_view_errors(api: Api) -> None:
    assert_problem(await api.get("/v1/mentors/nobody/apprentices", period="2026-W46"), 404)
    # s2 knows only its own a1; s1's mentor m is another shop's agent to it.
    assert_problem(await api.get("/v1/mentors/m/apprentices", shop="s2", period="2026-W46"), 404)
    assert_problem(await api.get("/v1/mentors/m/apprentices"), 422)
    assert_problem(await api.get("/v1/mentors/m/apprentices", period="11/2026"), 422)
    assert_problem(
        await api.get("/v1/mentors/m/apprentices", **{"from": "2026-11-10", "to": "2026-11-01"}),
        422,
    )


async def test_openapi_documents_the_routes(api: Api) -> None:
    doc = (await api.client.get("/openapi.json")).json()
    for path in (
        "/v1/targets",
        "/v1/targets/{target_id}",
        "/v1/bonus-plans",
        "/v1/bonus-plans/{plan_id}",
        "/v1/bonus-plans/{plan_id}/bonuses",
        "/v1/honour-plans",
        "/v1/honour-plans/{plan_id}",
        "/v1/honour-plans/{plan_id}/levels",
        "/v1/leaderboards/best",
        "/v1/leaderboards/most-improved",
        "/v1/mentors/{agent_id}/apprentices",
    ):
        assert path in doc["paths"], path
    post = doc["paths"]["/v1/bonus-plans"]["post"]
    assert "application/problem+json" in post["responses"]["422"]["content"]
