"""GET /v1/metrics over agent_daily/shop_daily rows: hand-worked numbers (SPEC §5, §10)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.qa_rules import RULES

from .conftest import insert_agent_days, insert_agents, insert_shop_days, make_shop

D = date.fromisoformat
A1_DEC31 = {
    "consultations": 5,
    "inquiries": 4,
    "ordered_buyers": 2,
    "paid_buyers": 1,
    "paid_orders": 1,
    "sales_amount": "100.50",
    "buyer_messages": 10,
    "agent_messages": 12,
    "responses": 2,
    "response_us_sum": 3_000_000,
    "first_responses": 1,
    "first_response_us_sum": 1_000_000,
    "qa_sessions": 2,
    "qa_score_sum": 180,
    "v_slow_reply": 1,
    "reminded_orders": 1,
    "reminder_successes": 1,
    "sessions": 3,
}
A1_JAN01 = {
    "consultations": 1,
    "inquiries": 1,
    "ordered_buyers": 1,
    "paid_buyers": 1,
    "paid_orders": 1,
    "sales_amount": "50.25",
    "responses": 1,
    "response_us_sum": 6_000_000,
    "buyer_messages": 2,
    "agent_messages": 1,
    "v_forbidden_words": 2,
}
A2_JAN04 = {"consultations": 2, "inquiries": 2}
M_DEC28 = {"consultations": 10, "inquiries": 10, "ordered_buyers": 6, "paid_buyers": 5}
A3_JAN01 = {"consultations": 3}


@pytest.fixture(scope="module")
async def shop(client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine) -> Any:
    shop_id, headers = await make_shop(client, admin)
    await insert_agents(
        api_engine,
        shop_id,
        [
            {"agent_id": "a1", "group_name": "presale", "mentor_id": "m"},
            {"agent_id": "a2", "group_name": "presale", "mentor_id": "m"},
            {"agent_id": "m", "group_name": "aftersale"},
            {"agent_id": "a3"},
        ],
    )
    await insert_agent_days(
        api_engine,
        shop_id,
        [
            ("a1", D("2026-12-31"), A1_DEC31),
            ("a1", D("2027-01-01"), A1_JAN01),
            ("a2", D("2027-01-04"), A2_JAN04),
            ("m", D("2026-12-28"), M_DEC28),
            ("a3", D("2027-01-01"), A3_JAN01),
        ],
    )
    await insert_shop_days(
        api_engine,
        shop_id,
        [
            (
                D("2026-12-31"),
                {
                    "placed_orders": 5,
                    "paid_orders_total": 4,
                    "sales_total": "300.00",
                    "silent_orders": 1,
                    "silent_sales": "99.25",
                },
            ),
            (D("2027-01-01"), {"placed_orders": 1, "paid_orders_total": 1, "sales_total": "50.25"}),
        ],
    )
    return headers


async def metrics(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    query = {"from": "2026-12-28", "to": "2027-01-04", **params}
    r = await client.get("/v1/metrics", params=query, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[k] for k in keys): row for row in rows}


async def test_day_rows_carry_every_metric(client: httpx.AsyncClient, shop: Any) -> None:
    body = await metrics(client, shop, granularity="day", group_by="agent")
    assert (body["from"], body["to"], body["granularity"], body["group_by"]) == (
        "2026-12-28",
        "2027-01-04",
        "day",
        "agent",
    )
    rows = by(body["rows"], "period", "agent_id")
    assert list(rows) == [
        ("2026-12-28", "m"),
        ("2026-12-31", "a1"),
        ("2027-01-01", "a1"),
        ("2027-01-01", "a3"),
        ("2027-01-04", "a2"),
    ]
    a1 = rows[("2026-12-31", "a1")]
    assert a1["inquiry_conversion_rate"] == 0.25
    assert a1["order_payment_rate"] == 0.5
    assert a1["sales_amount"] == "100.50"
    assert a1["refund_amount"] == "0.00"
    assert a1["avg_order_value"] == 100.5
    assert a1["answer_ratio"] == 1.2
    assert a1["avg_response_seconds"] == 1.5
    assert a1["avg_first_response_seconds"] == 1.0
    assert a1["avg_qa_score"] == 90.0
    assert a1["reminder_success_rate"] == 1.0
    assert a1["violations"] == {**dict.fromkeys(RULES, 0), "slow_reply": 1}
    a3 = rows[("2027-01-01", "a3")]
    assert a3["inquiry_conversion_rate"] is None  # zero denominator → null
    assert a3["avg_response_seconds"] is None
    assert a3["consultations"] == 3


async def test_week_labels_use_the_iso_year_and_ratios_come_from_summed_parts(
    client: httpx.AsyncClient, shop: Any
) -> None:
    rows = by((await metrics(client, shop, granularity="week"))["rows"], "period", "agent_id")
    # 2026-12-28 … 2027-01-03 is ISO week 2026-W53; 2027-01-04 starts 2027-W01.
    assert list(rows) == [
        ("2026-W53", "a1"),
        ("2026-W53", "a3"),
        ("2026-W53", "m"),
        ("2027-W01", "a2"),
    ]
    a1 = rows[("2026-W53", "a1")]
    assert a1["inquiries"] == 5 and a1["paid_buyers"] == 2
    assert a1["inquiry_conversion_rate"] == pytest.approx(0.4)  # not (0.25 + 1) / 2
    assert a1["avg_response_seconds"] == pytest.approx(3.0)  # 9 s / 3, not (1.5 + 6) / 2
    assert a1["sales_amount"] == "150.75"
    assert a1["avg_order_value"] == pytest.approx(75.375)
    assert a1["violations"]["forbidden_words"] == 2 and a1["violations"]["slow_reply"] == 1
    assert rows[("2027-W01", "a2")]["inquiry_conversion_rate"] == 0.0
    assert rows[("2027-W01", "a2")]["order_payment_rate"] is None


async def test_week_and_month_rows_only_sum_days_inside_the_range(
    client: httpx.AsyncClient, shop: Any
) -> None:
    week = by(
        (await metrics(client, shop, granularity="week", **{"from": "2026-12-29"}))["rows"],
        "period",
        "agent_id",
    )
    assert ("2026-W53", "m") not in week  # m's only day, Dec 28, is outside
    assert week[("2026-W53", "a1")]["inquiries"] == 5
    month = by(
        (
            await metrics(
                client, shop, granularity="month", **{"from": "2027-01-01", "to": "2027-01-01"}
            )
        )["rows"],
        "period",
        "agent_id",
    )
    assert list(month) == [("2027-01", "a1"), ("2027-01", "a3")]  # a2's Jan 4 left out
    assert month[("2027-01", "a1")]["inquiries"] == 1


async def test_months_split_at_the_month_boundary(client: httpx.AsyncClient, shop: Any) -> None:
    rows = by((await metrics(client, shop, granularity="month"))["rows"], "period", "agent_id")
    assert rows[("2026-12", "a1")]["inquiry_conversion_rate"] == 0.25
    assert rows[("2027-01", "a1")]["inquiry_conversion_rate"] == 1.0
    assert rows[("2026-12", "m")]["inquiry_conversion_rate"] == 0.5


async def test_group_by_group_and_mentor(client: httpx.AsyncClient, shop: Any) -> None:
    groups = by(
        (await metrics(client, shop, granularity="total", group_by="group"))["rows"],
        "period",
        "group",
    )
    assert list(groups) == [("total", "aftersale"), ("total", "presale"), ("total", "ungrouped")]
    presale = groups[("total", "presale")]  # a1 + a2
    assert (presale["inquiries"], presale["paid_buyers"]) == (7, 2)
    assert presale["inquiry_conversion_rate"] == pytest.approx(2 / 7)
    assert groups[("total", "ungrouped")]["consultations"] == 3
    mentors = by(
        (await metrics(client, shop, granularity="total", group_by="mentor"))["rows"],
        "period",
        "mentor_id",
    )
    assert list(mentors) == [("total", "m")]  # a3 neither mentors nor has a mentor
    m = mentors[("total", "m")]  # m + apprentices a1, a2
    assert (m["inquiries"], m["paid_buyers"]) == (17, 7)
    assert m["inquiry_conversion_rate"] == pytest.approx(7 / 17)
    assert "agent_id" not in m


async def test_shop_rows_add_shop_level_numbers(client: httpx.AsyncClient, shop: Any) -> None:
    (total,) = (await metrics(client, shop, granularity="total", group_by="shop"))["rows"]
    assert total["period"] == "total" and "agent_id" not in total
    assert total["inquiries"] == 17 and total["consultations"] == 21
    assert total["placed_orders"] == 6 and total["paid_orders_total"] == 5
    assert total["sales_total"] == "350.25" and total["silent_sales"] == "99.25"
    assert total["silent_orders"] == 1
    assert total["cs_sales_share"] == pytest.approx((350.25 - 99.25) / 350.25)
    days = by((await metrics(client, shop, granularity="day", group_by="shop"))["rows"], "period")
    assert days[("2026-12-28",)]["placed_orders"] == 0
    assert days[("2026-12-28",)]["cs_sales_share"] is None
    assert days[("2027-01-01",)]["cs_sales_share"] == 1.0


async def test_filters(client: httpx.AsyncClient, shop: Any) -> None:
    body = await metrics(client, shop, granularity="total", agent_id=["a1", "a3"])
    assert [r["agent_id"] for r in body["rows"]] == ["a1", "a3"]
    body = await metrics(client, shop, granularity="total", group="presale")
    assert [r["agent_id"] for r in body["rows"]] == ["a1", "a2"]
    body = await metrics(client, shop, granularity="total", group="ungrouped")
    assert [r["agent_id"] for r in body["rows"]] == ["a3"]


@pytest.mark.parametrize("granularity", ["day", "week", "month", "total"])
@pytest.mark.parametrize("group_by", ["agent", "group", "shop"])
async def test_every_grouping_sums_to_the_rollups(
    client: httpx.AsyncClient, shop: Any, granularity: str, group_by: str
) -> None:
    rows = (await metrics(client, shop, granularity=granularity, group_by=group_by))["rows"]
    assert sum(r["inquiries"] for r in rows) == 17
    assert sum(r["consultations"] for r in rows) == 21
    assert sum(float(r["sales_amount"]) for r in rows) == pytest.approx(150.75)


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"from": "2027-01-05", "to": "2027-01-04"}, "from"),
        ({"from": "2025-01-01", "to": "2027-01-04"}, "to"),
        ({"granularity": "year"}, "granularity"),
        ({"group_by": "buyer"}, "group_by"),
        ({"from": "2027-13-01"}, "from"),
    ],
)
async def test_invalid_parameters_are_422_problems(
    client: httpx.AsyncClient, shop: Any, params: dict[str, str], where: str
) -> None:
    query = {"from": "2026-12-28", "to": "2027-01-04", **params}
    r = await client.get("/v1/metrics", params=query, headers=shop)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["instance"] == "/v1/metrics"
    assert any(where in e["loc"] for e in problem["errors"]), problem
