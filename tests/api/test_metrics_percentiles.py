"""Exact percentiles on every /v1/metrics row (SPEC §11) against a brute-force sort.

Agent-day response times go into agent_responses as scoring stores them; every row of
every granularity and grouping must show the ⌈q·n⌉-th smallest of the values it covers,
computed here by sorting the merged values of its agent-days (days across a week and a
month boundary, agents across groups and a mentor team, duplicates, one large day so
that the shop rows take the selection path rather than a merge).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.rollup_reader import UNGROUPED

from .conftest import insert_agent_days, insert_agent_responses, insert_agents, make_shop

FROM, TO = date(2026, 10, 28), date(2026, 11, 3)  # Wed..Tue: two ISO weeks, two months
AGENTS = {  # agent -> (group, mentor)
    "a1": ("presale", None),
    "a2": ("presale", "a1"),
    "a3": ("aftersale", "a1"),
    "a4": (None, None),
}
Times = dict[tuple[str, date], tuple[list[int], list[int]]]


def _times() -> Times:
    rng = random.Random(11)
    out: Times = {}
    day = FROM
    while day <= TO:
        for agent in AGENTS:
            if rng.random() < 0.2:
                continue  # an idle day
            n = 5000 if (agent, day) == ("a4", date(2026, 11, 1)) else rng.randint(1, 40)
            # Microsecond values with ties: whole seconds, and a few µs-exact ones.
            responses = [
                rng.choice((rng.randint(0, 90) * 1_000_000, rng.randint(0, 10**8)))
                for _ in range(n)
            ]
            first = rng.sample(responses, k=rng.randint(0, min(n, 6)))
            out[(agent, day)] = (responses, first)
        day += timedelta(days=1)
    return out


TIMES = _times()


def _period(day: date, granularity: str) -> str:
    if granularity == "day":
        return day.isoformat()
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.strftime("%Y-%m") if granularity == "month" else "total"


def _keys(agent: str, group_by: str) -> list[Any]:
    group, mentor = AGENTS[agent]
    if group_by == "agent":
        return [agent]
    if group_by == "group":
        return [group or UNGROUPED]
    if group_by == "mentor":  # a mentor's team: itself and its apprentices
        mentors = {m for _, m in AGENTS.values() if m}
        return [k for k in (mentor, agent if agent in mentors else None) if k]
    return [None]


def _nearest_rank(values: list[int], numerator: int, denominator: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = -(-len(ordered) * numerator // denominator)
    return ordered[k - 1] / 1_000_000


def _expected(granularity: str, group_by: str) -> dict[tuple[str, Any], dict[str, Any]]:
    merged: dict[tuple[str, Any], tuple[list[int], list[int]]] = {}
    for (agent, day), (responses, first) in TIMES.items():
        for key in _keys(agent, group_by):
            into = merged.setdefault((_period(day, granularity), key), ([], []))
            into[0].extend(responses)
            into[1].extend(first)
    return {
        k: {
            "p50_response_seconds": _nearest_rank(r, 1, 2),
            "p90_response_seconds": _nearest_rank(r, 9, 10),
            "p50_first_response_seconds": _nearest_rank(f, 1, 2),
        }
        for k, (r, f) in merged.items()
    }


@pytest.fixture(scope="module")
async def shop(client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine) -> Any:
    shop_id, headers = await make_shop(client, admin)
    await insert_agents(
        api_engine,
        shop_id,
        [{"agent_id": a, "group_name": g, "mentor_id": m} for a, (g, m) in AGENTS.items()],
    )
    await insert_agent_days(
        api_engine,
        shop_id,
        [
            (a, d, {"responses": len(r), "first_responses": len(f), "response_us_sum": sum(r)})
            for (a, d), (r, f) in TIMES.items()
        ],
    )
    await insert_agent_responses(
        api_engine, shop_id, [(a, d, r, f) for (a, d), (r, f) in TIMES.items()]
    )
    return headers


KEY_FIELD = {"agent": "agent_id", "group": "group", "mentor": "mentor_id", "shop": None}


@pytest.mark.parametrize("group_by", ["agent", "group", "mentor", "shop"])
@pytest.mark.parametrize("granularity", ["day", "week", "month", "total"])
async def test_every_row_holds_the_brute_force_percentiles(
    client: httpx.AsyncClient, shop: Any, granularity: str, group_by: str
) -> None:
    r = await client.get(
        "/v1/metrics",
        params={
            "from": FROM.isoformat(),
            "to": TO.isoformat(),
            "granularity": granularity,
            "group_by": group_by,
        },
        headers=shop,
    )
    assert r.status_code == 200, r.text
    field = KEY_FIELD[group_by]
    shown = {
        (row["period"], row[field] if field else None): {
            name: row[name]
            for name in (
                "p50_response_seconds",
                "p90_response_seconds",
                "p50_first_response_seconds",
            )
        }
        for row in r.json()["rows"]
    }
    assert shown == _expected(granularity, group_by)


async def test_filters_and_a_range_inside_the_data(client: httpx.AsyncClient, shop: Any) -> None:
    # agent_id filter over two days only: the merged values of a2 and a3 on 10-30..10-31.
    r = await client.get(
        "/v1/metrics",
        params=[
            ("from", "2026-10-30"),
            ("to", "2026-10-31"),
            ("granularity", "total"),
            ("group_by", "shop"),
            ("agent_id", "a2"),
            ("agent_id", "a3"),
        ],
        headers=shop,
    )
    assert r.status_code == 200, r.text
    values = [
        v
        for (a, d), (resp, _) in TIMES.items()
        if a in ("a2", "a3") and date(2026, 10, 30) <= d <= date(2026, 10, 31)
        for v in resp
    ]
    (row,) = r.json()["rows"]
    assert row["p90_response_seconds"] == _nearest_rank(values, 9, 10)
    assert row["p50_response_seconds"] == _nearest_rank(values, 1, 2)


async def test_a_row_without_responses_has_null_percentiles(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, headers = await make_shop(client, admin)
    await insert_agent_days(api_engine, shop_id, [("z", date(2026, 11, 1), {"consultations": 1})])
    r = await client.get(
        "/v1/metrics",
        params={"from": "2026-11-01", "to": "2026-11-01", "granularity": "total"},
        headers=headers,
    )
    (row,) = r.json()["rows"]
    assert row["p50_response_seconds"] is None and row["p90_response_seconds"] is None
    assert row["p50_first_response_seconds"] is None and row["consultations"] == 1
