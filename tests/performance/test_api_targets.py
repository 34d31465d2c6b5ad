"""/v1/targets with attainment from agent_daily (data: conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, assert_problem


async def test_target_attainment_life_cycle(api: Api) -> None:
    body = {
        "agent_id": "a1",
        "period": "2026-W46",
        "metric": "inquiry_conversion_rate",
        "value": 0.55,
    }
    r = await api.post("/v1/targets", body)
    assert r.status_code == 201, r.text
    target = r.json()
    assert r.headers["location"] == f"/v1/targets/{target['id']}"
    # a1 in W46: 29/50 = 0.58; ratio 0.58 / 0.55 = 1.0545…; met (default >=).
    assert target["comparison"] == ">=" and target["value"] == "0.55"
    assert target["attainment"]["value"] == 0.58
    assert target["attainment"]["ratio"] == pytest.approx(0.58 / 0.55)
    assert target["attainment"]["met"] is True
    assert_problem(await api.post("/v1/targets", body), 409)

    patched = await api.patch(f"/v1/targets/{target['id']}", {"value": "0.60"})
    assert patched.status_code == 200
    assert patched.json()["attainment"] == {
        "value": 0.58,
        "target": "0.6",
        "ratio": pytest.approx(0.58 / 0.6),
        "met": False,
    }
    assert (await api.get(f"/v1/targets/{target['id']}")).json()["value"] == "0.6"
    assert (await api.delete(f"/v1/targets/{target['id']}")).status_code == 204
    assert_problem(await api.get(f"/v1/targets/{target['id']}"), 404)


async def test_month_and_lower_is_better_targets_and_listing(api: Api) -> None:
    # m in November: 40 (W45, 11-08) + 40 (W46) = 80 inquiries of a 100 target.
    month = await api.post(
        "/v1/targets", {"agent_id": "m", "period": "2026-11", "metric": "inquiries", "value": 100}
    )
    assert month.json()["attainment"] == {"value": 80, "target": "100", "ratio": 0.8, "met": False}
    # Response time: lower is better, so the default comparison is <=; b has no
    # responses, so no value and not met.
    slow = await api.post(
        "/v1/targets",
        {"agent_id": "b", "period": "2026-W46", "metric": "avg_response_seconds", "value": 30},
    )
    assert slow.json()["comparison"] == "<="
    assert slow.json()["attainment"] == {"value": None, "target": "30", "ratio": None, "met": False}
    listed = await api.get("/v1/targets", period="2026-11")
    assert [t["agent_id"] for t in listed.json()["items"]] == ["m"]
    listed = await api.get("/v1/targets", agent_id="b", metric="avg_response_seconds")
    assert [t["id"] for t in listed.json()["items"]] == [slow.json()["id"]]
    first = await api.get("/v1/targets", limit=1)
    assert first.json()["next_cursor"]
    rest = await api.get("/v1/targets", limit=1, cursor=first.json()["next_cursor"])
    assert rest.json()["items"][0]["id"] != first.json()["items"][0]["id"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"period": "2026-W54"}, ["body", "period"]),
        ({"period": "2026/11"}, ["body", "period"]),
        ({"metric": "conversion"}, ["body", "metric"]),
        ({"comparison": "=>"}, ["body", "comparison"]),
        ({"value": "x"}, ["body", "value"]),
        ({"agent_id": ""}, ["body", "agent_id"]),
        ({"agent_id": "a\u0000"}, ["body", "agent_id"]),  # Postgres text cannot hold NUL
        ({"value": "1e400"}, ["body", "value"]),
        ({"value": 0.1 + 0.2}, ["body", "value"]),  # 0.30000000000000004: 17 places
    ],
)
async def test_invalid_targets_are_422(api: Api, change: dict[str, Any], loc: list[str]) -> None:
    body = {"agent_id": "a1", "period": "2026-W46", "metric": "inquiries", "value": 1, **change}
    problem = assert_problem(await api.post("/v1/targets", body), 422)
    assert loc in [e["loc"] for e in problem["errors"]]


async def test_bad_filters_and_cursor_are_422(api: Api) -> None:
    assert_problem(await api.get("/v1/targets", period="2026-W99"), 422)
    assert_problem(await api.get("/v1/targets", cursor="not-a-cursor"), 422)
    assert_problem(await api.get("/v1/targets", agent_id="a\x00"), 422)
    assert_problem(await api.get("/v1/targets", period="0001-01"), 422)


async def test_another_shops_target_is_a_404(api: Api) -> None:
    other = await api.post(
        "/v1/targets",
        {"agent_id": "a1", "period": "2026-W46", "metric": "inquiries", "value": 10},
        shop="s2",
    )
    tid = other.json()["id"]
    # s2's own a1 had 1000 inquiries that week.
    assert other.json()["attainment"]["value"] == 1000
    assert_problem(await api.get(f"/v1/targets/{tid}"), 404)
    assert_problem(await api.patch(f"/v1/targets/{tid}", {"value": 1}), 404)
    assert_problem(await api.delete(f"/v1/targets/{tid}"), 404)
    assert tid not in [t["id"] for t in (await api.get("/v1/targets")).json()["items"]]


async def test_requests_without_a_key_are_401(api: Api) -> None:
    r = await api.client.get("/v1/targets")
    assert_problem(r, 401)
