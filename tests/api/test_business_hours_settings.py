"""The business_hours shop setting through the API (SPEC §3, §11): validated, stored in
canonical form, shown back, reset by null; refused with problem+json naming the fix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import make_shop
from .test_admin_and_auth import assert_problem

HOURS = {"sat": [["10:00", "18:00"]], "mon": [["13:00", "24:00"], ["09:00", "12:00"]]}


@pytest.fixture(scope="module")
async def shop(client: httpx.AsyncClient, admin: dict[str, str]) -> Any:
    _, headers = await make_shop(client, admin)
    return headers


async def test_set_show_and_reset(client: httpx.AsyncClient, shop: Any) -> None:
    assert (await client.get("/v1/settings", headers=shop)).json()["business_hours"] is None
    r = await client.patch("/v1/settings", headers=shop, json={"business_hours": HOURS})
    assert r.status_code == 200, r.text
    canonical = {"mon": [["09:00", "12:00"], ["13:00", "24:00"]], "sat": [["10:00", "18:00"]]}
    assert r.json()["business_hours"] == canonical
    assert (await client.get("/v1/settings", headers=shop)).json()["business_hours"] == canonical
    # Another setting's change keeps the hours; null resets them to always open.
    r = await client.patch("/v1/settings", headers=shop, json={"slow_reply_seconds": 40})
    assert r.json()["business_hours"] == canonical
    r = await client.patch("/v1/settings", headers=shop, json={"business_hours": None})
    assert r.status_code == 200 and r.json()["business_hours"] is None


@pytest.mark.parametrize(
    ("hours", "named"),
    [
        ({}, "no open interval"),
        ({"mon": [], "tue": []}, "no open interval"),
        ({"Mon": [["09:00", "18:00"]]}, "unknown keys"),
        ({"mon": [["09:00", "25:00"]]}, "HH:MM"),
        ({"mon": [["10:00", "09:00"]]}, "after start"),
        ({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}, "overlap"),
    ],
)
async def test_invalid_hours_are_a_422_naming_the_fix(
    client: httpx.AsyncClient, shop: Any, hours: Any, named: str
) -> None:
    bad = await client.patch("/v1/settings", headers=shop, json={"business_hours": hours})
    assert named in str(assert_problem(bad, 422)), hours
    assert (await client.get("/v1/settings", headers=shop)).json()["business_hours"] is None


async def test_a_new_shop_may_start_with_hours(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, headers = await make_shop(client, admin, {"business_hours": HOURS})
    shown = (await client.get("/v1/settings", headers=headers)).json()["business_hours"]
    assert shown["mon"] == [["09:00", "12:00"], ["13:00", "24:00"]]
    bad = await client.post(
        "/admin/shops",
        headers=admin,
        json={"shop_id": shop_id + "-x", "name": "x", "settings": {"business_hours": {}}},
    )
    assert "no open interval" in str(assert_problem(bad, 422))
