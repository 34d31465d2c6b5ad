"""The shop API (/v1): agents, leaderboard, inquiries, transcripts, violations, QA rules,
settings."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import insert_agent_days, insert_agents, make_shop
from .fixtures_rows import conversation
from .test_admin_and_auth import assert_problem


@pytest.fixture(scope="module")
async def shop(client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine) -> Any:
    shop_id, headers = await make_shop(client, admin)
    await insert_agents(
        api_engine,
        shop_id,
        [
            {"agent_id": "a1", "group_name": "presale"},
            {"agent_id": "a2"},
            {"agent_id": "a3"},
            {"agent_id": "b"},
        ],
    )
    week = [date(2026, 11, d) for d in range(9, 16)]
    prev = [date(2026, 11, d) for d in range(2, 9)]
    await insert_agent_days(
        api_engine,
        shop_id,
        [
            ("a1", week[0], {"inquiries": 10, "paid_buyers": 6, "consultations": 10}),
            ("a2", week[1], {"inquiries": 10, "paid_buyers": 4, "consultations": 10}),
            ("a3", week[2], {"inquiries": 2, "paid_buyers": 2, "consultations": 2}),
            ("a1", prev[0], {"inquiries": 10, "paid_buyers": 5, "consultations": 10}),
            ("a2", prev[3], {"inquiries": 10, "paid_buyers": 7, "consultations": 10}),
        ],
    )
    await conversation(api_engine, shop_id)
    return headers


async def test_agents_list_and_update(client: httpx.AsyncClient, shop: Any) -> None:
    page = (await client.get("/v1/agents", headers=shop, params={"limit": 2})).json()
    assert [a["agent_id"] for a in page["items"]] == ["a1", "a2"]
    rest = (
        await client.get("/v1/agents", headers=shop, params={"cursor": page["next_cursor"]})
    ).json()
    assert [a["agent_id"] for a in rest["items"]] == ["a3", "b"] and rest["next_cursor"] is None
    r = await client.patch(
        "/v1/agents/a2",
        headers=shop,
        json={"group": "presale", "mentor_id": "a1", "display_name": "小二"},
    )
    assert r.status_code == 200
    assert (r.json()["group"], r.json()["mentor_id"], r.json()["display_name"]) == (
        "presale",
        "a1",
        "小二",
    )
    cycle = await client.patch("/v1/agents/a1", headers=shop, json={"mentor_id": "a2"})
    assert "cycle" in str(assert_problem(cycle, 422)["detail"])
    stranger = await client.patch("/v1/agents/a1", headers=shop, json={"mentor_id": "nobody"})
    assert "not an agent" in str(assert_problem(stranger, 422)["detail"])
    assert_problem(await client.patch("/v1/agents/zz", headers=shop, json={}), 404)
    cleared = await client.patch("/v1/agents/a2", headers=shop, json={"mentor_id": None})
    assert cleared.json()["mentor_id"] is None
    grouped = (await client.get("/v1/agents", headers=shop, params={"group": "presale"})).json()
    assert [a["agent_id"] for a in grouped["items"]] == ["a1", "a2"]


async def test_leaderboard_ranks_with_change(client: httpx.AsyncClient, shop: Any) -> None:
    best = "/v1/leaderboards/best"
    r = await client.get(
        best, headers=shop, params={"metric": "inquiry_conversion_rate", "period": "2026-W46"}
    )
    assert r.status_code == 200, r.text
    board = r.json()
    assert (board["previous_from"], board["previous_to"]) == ("2026-11-02", "2026-11-08")
    entries = {e["agent_id"]: e for e in board["items"]}
    assert [e["agent_id"] for e in board["items"]] == ["a3", "a1", "a2"]
    assert entries["a1"]["value"] == 0.6 and entries["a1"]["previous_value"] == 0.5
    assert entries["a1"]["change"] == pytest.approx(0.1) and entries["a1"]["sample"] == 10
    assert entries["a2"]["previous_rank"] == 1 and entries["a2"]["rank"] == 3
    assert entries["a3"]["previous_value"] is None and entries["a3"]["change"] is None
    sampled = (
        await client.get(
            best,
            headers=shop,
            params={"metric": "inquiry_conversion_rate", "period": "2026-W46", "min_sample": 5},
        )
    ).json()
    assert sampled["sample_metric"] == "inquiries"  # the catalogue's: the denominator
    assert [e["agent_id"] for e in sampled["items"]] == ["a1", "a2"]
    # inquiries: a1 10, a2 10 (a tie: both rank 1), a3 2 (rank 3), two per page.
    query = {"metric": "inquiries", "period": "2026-W46", "limit": 2}
    first = (await client.get(best, headers=shop, params=query)).json()
    assert [(e["rank"], e["agent_id"]) for e in first["items"]] == [(1, "a1"), (1, "a2")]
    rest = (
        await client.get(best, headers=shop, params={**query, "cursor": first["next_cursor"]})
    ).json()
    assert [(e["rank"], e["agent_id"]) for e in rest["items"]] == [(3, "a3")]
    assert rest["next_cursor"] is None
    bad = await client.get(best, headers=shop, params={"metric": "nonsense", "period": "2026-W46"})
    assert_problem(bad, 422)
    forged = await client.get(best, headers=shop, params={**query, "cursor": "bm9wZQ"})
    assert_problem(forged, 422)
    # The one leaderboard: the range-based /v1/leaderboard is gone.
    assert (await client.get("/v1/leaderboard", headers=shop)).status_code == 404


async def test_inquiries_link_to_transcripts(client: httpx.AsyncClient, shop: Any) -> None:
    lost = (await client.get("/v1/inquiries", headers=shop, params={"status": "lost"})).json()
    (inquiry,) = lost["items"]
    assert (inquiry["buyer_id"], inquiry["agent_id"], inquiry["day"]) == ("b1", "a1", "2026-11-11")
    assert inquiry["transcript_url"] == "/v1/buyers/b1/transcript?from=2026-11-11&to=2026-11-11"
    none = (await client.get("/v1/inquiries", headers=shop, params={"status": "converted"})).json()
    assert none["items"] == []
    transcript = await client.get(inquiry["transcript_url"], headers=shop)
    assert transcript.status_code == 200


async def test_transcript_marks_bots_responses_and_violations(
    client: httpx.AsyncClient, shop: Any
) -> None:
    t = (
        await client.get(
            "/v1/buyers/b1/transcript",
            headers=shop,
            params={"from": "2026-11-11", "to": "2026-11-11"},
        )
    ).json()
    assert t["timezone"] == "Asia/Shanghai"
    assert [(m["event_id"], m["sender"], m["counted"]) for m in t["messages"]] == [
        ("b1-m1", "buyer", True),
        ("b1-m2", "bot", False),
        ("b1-m3", "agent", True),
    ]
    assert t["messages"][2]["violations"] == ["slow_reply", "forbidden_words"]
    (session,) = t["sessions"]
    assert session["qa_score"] == 82 and session["closed"]
    assert session["responses"] == [
        {"question_event_id": "b1-m1", "response_event_id": "b1-m3", "response_seconds": 40.0}
    ]
    assert [v["rule"] for v in session["violations"]] == ["slow_reply", "forbidden_words"]
    assert t["orders"][0]["amount"] == "59.90"
    other_day = (
        await client.get(
            "/v1/buyers/b1/transcript",
            headers=shop,
            params={"from": "2026-11-12", "to": "2026-11-12"},
        )
    ).json()
    assert other_day["messages"] == [] and other_day["sessions"] == []
    unknown = await client.get(
        "/v1/buyers/nobody/transcript",
        headers=shop,
        params={"from": "2026-11-11", "to": "2026-11-11"},
    )
    assert_problem(unknown, 404)
    backwards = await client.get(
        "/v1/buyers/b1/transcript", headers=shop, params={"from": "2026-11-12", "to": "2026-11-11"}
    )
    assert_problem(backwards, 422)


async def test_violations_filters(client: httpx.AsyncClient, shop: Any) -> None:
    all_ = (await client.get("/v1/violations", headers=shop)).json()["items"]
    assert [v["rule"] for v in all_] == ["slow_reply", "forbidden_words"]
    assert all_[0]["transcript_url"].startswith("/v1/buyers/b1/transcript")
    one = (
        await client.get(
            "/v1/violations", headers=shop, params={"rule": "forbidden_words", "limit": 1}
        )
    ).json()
    assert [v["penalty"] for v in one["items"]] == [10] and one["next_cursor"] is None
    first = (await client.get("/v1/violations", headers=shop, params={"limit": 1})).json()
    second = (
        await client.get(
            "/v1/violations", headers=shop, params={"limit": 1, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [v["seq"] for v in first["items"] + second["items"]] == [0, 1]
    assert (await client.get("/v1/violations", headers=shop, params={"agent_id": "a2"})).json()[
        "items"
    ] == []
    assert_problem(
        await client.get("/v1/violations", headers=shop, params={"rule": "rudeness"}), 422
    )


async def test_qa_rules_get_put(client: httpx.AsyncClient, shop: Any) -> None:
    rules = (await client.get("/v1/qa-rules", headers=shop)).json()
    assert rules["forbidden_words"]["penalty"] == 10 and rules["forbidden_words"]["notify"]
    r = await client.put(
        "/v1/qa-rules",
        headers=shop,
        json={
            "forbidden_words": {"params": {"words": ["滚"]}, "penalty": 20},
            "min_emojis": {"enabled": False},
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["forbidden_words"]["params"]["words"] == ["滚"]
    assert r.json()["min_emojis"]["enabled"] is False
    assert r.json()["greeting"]["penalty"] == 3
    assert (await client.get("/v1/qa-rules", headers=shop)).json() == r.json()
    for body, named in (
        ({"politeness": {}}, "politeness"),
        ({"min_reply_length": {"params": {"min_chars": -1}}}, "min_chars"),
        ({"greeting": {"params": {"colour": 1}}}, "colour"),
        ({"slow_reply": {"penalty": "high"}}, "penalty"),
    ):
        bad = await client.put("/v1/qa-rules", headers=shop, json=body)
        assert named in str(assert_problem(bad, 422)), body


async def test_shop_settings_get_patch(client: httpx.AsyncClient, shop: Any) -> None:
    assert (await client.get("/v1/settings", headers=shop)).json()["currency"] == "CNY"
    r = await client.patch("/v1/settings", headers=shop, json={"slow_reply_seconds": 20})
    assert r.json()["slow_reply_seconds"] == 20
    assert (await client.get("/v1/settings", headers=shop)).json()["slow_reply_seconds"] == 20
    bad = await client.patch("/v1/settings", headers=shop, json={"timezone": "Nowhere/City"})
    assert "timezone" in str(assert_problem(bad, 422))
    await client.patch("/v1/settings", headers=shop, json={"slow_reply_seconds": None})
