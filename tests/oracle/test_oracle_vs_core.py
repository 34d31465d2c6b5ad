"""Differential test: the independent SPEC oracle vs the production scoring core.

Every additive part of every (shop, agent, day) and (shop, day) must be equal: on simulated
streams with late and duplicate events (invalid ones skipped, as ingest rejects them), on
small adversarial streams full of ties and boundary values, and on hand-picked cases for
each reading of the SPEC the oracle had to choose. Both the core's batch recompute and its
incremental scorer (events in arrival order, random batches) are held to the oracle.
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from shared.simulator import SimConfig, generate
from tests.oracle.adversarial import OTHER_SHOP, shrink, stream, two_shop_stream, variant
from tests.oracle.adversarial import SHOP as ADV_SHOP
from tests.oracle.builders import SHOP, chat, order, ts, with_id
from tests.oracle.compare import Rules, Settings, all_differences, oracle_rows


def valid_events(config: SimConfig, count: int) -> list[dict[str, Any]]:
    return [se.event for se in generate(config, count=count) if se.invalid_reason is None]


def assert_same(
    events: list[dict[str, Any]],
    settings: Settings | None = None,
    rules: Rules | None = None,
    streamed_seed: int | None = None,
) -> None:
    diffs = all_differences(events, settings, rules, streamed_seed)
    assert not diffs, f"{len(diffs)} differences, first ones:\n" + "\n".join(diffs[:40])


def oracle_totals(events: list[dict[str, Any]]) -> Counter[str]:
    agents, shops = oracle_rows(events, {}, {})
    total: Counter[str] = Counter()
    for row in [*agents.values(), *shops.values()]:
        for name, value in row.items():
            total[name] += 1 if value else 0
    return total


SIM = dict(shops=2, late_fraction=0.15, duplicate_fraction=0.05, invalid_fraction=0.02)


@pytest.mark.parametrize(("seed", "arrivals_per_hour"), [(1, 60), (7, 2), (42, 60), (2026, 3)])
def test_simulated_streams_batch(seed: int, arrivals_per_hour: float) -> None:
    config = SimConfig(seed=seed, arrivals_per_hour=arrivals_per_hour, **SIM)  # type: ignore[arg-type]
    events = valid_events(config, 5000)
    seen = oracle_totals(events)
    assert seen["paid_orders"] and seen["reminded_orders"] and seen["v_slow_reply"]
    if arrivals_per_hour < 10:  # several days: lost inquiries, refunds, midnights, reviews
        assert seen["lost_inquiries"] and seen["refund_amount"]
        assert seen["aftersale_consultations"] and seen["midsale_consultations"]
        assert seen["reviews"] and seen["review_mentions"] and seen["reviews_total"]
        assert seen["dsr_service_count"]
    assert_same(events)


@pytest.mark.parametrize(("seed", "arrivals_per_hour"), [(3, 2), (9, 60)])
def test_simulated_streams_incremental_in_arrival_order(
    seed: int, arrivals_per_hour: float
) -> None:
    config = SimConfig(seed=seed, arrivals_per_hour=arrivals_per_hour, **SIM)  # type: ignore[arg-type]
    assert_same(valid_events(config, 5000), streamed_seed=seed)


def test_simulated_stream_custom_settings_and_rules() -> None:
    config = SimConfig(
        seed=11, shops=3, late_fraction=0.1, duplicate_fraction=0.05, arrivals_per_hour=4
    )
    settings: dict[str, dict[str, Any]] = {
        "shop-000": {
            "timezone": "America/New_York",
            "session_gap_seconds": 600,
            "slow_reply_seconds": 10,
        },
        "shop-001": {
            "attribution_window_seconds": 3600,
            "aftersale_lookback_days": 1,
            "reminder_window_seconds": 600,
        },
        "shop-002": {  # SPEC §11: answers while closed time from the next opening
            "business_hours": {
                **{d: [["09:00", "12:00"], ["13:30", "18:00"]] for d in ("mon", "tue", "wed")},
                "thu": [["10:00", "24:00"]],
                "fri": [["00:00", "02:00"], ["20:00", "22:30"]],
            },
            "slow_reply_seconds": 20,
        },
    }
    rules: dict[str, dict[str, dict[str, Any]]] = {
        "shop-000": {
            "greeting": {"phrases": ["亲"], "penalty": 7},
            "min_emojis": {"min_count": 1},
            "forbidden_words": {"words": ["的", "吗"]},
        },
        "shop-002": {
            "min_reply_length": {"enabled": False},
            "unanswered": {"penalty": 50},
            "closing_by_agent": {"penalty": 60},
        },
    }
    assert_same(valid_events(config, 5000), settings, rules)


def _first_adversarial_failure(seeds: range, dense: bool, streamed: bool) -> str | None:
    for seed in seeds:
        events = stream(seed, 50, dense)
        if streamed:
            random.Random(seed).shuffle(events)
        s, r = variant(seed)
        settings, rules = {ADV_SHOP: s}, {ADV_SHOP: r}
        streamed_seed = seed if streamed else None

        def fails(evs: list[dict[str, Any]]) -> bool:
            return bool(all_differences(evs, settings, rules, streamed_seed))  # noqa: B023

        if fails(events):
            minimal = shrink(events, fails)
            diffs = all_differences(minimal, settings, rules, streamed_seed)
            lines = "\n".join(map(repr, minimal))
            return (
                f"seed {seed} (dense={dense}, streamed={streamed}) settings={s} rules={r}\n"
                f"minimal events:\n{lines}\ndifferences:\n" + "\n".join(diffs)
            )
    return None


@pytest.mark.parametrize(
    ("dense", "streamed"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_adversarial_streams(dense: bool, streamed: bool) -> None:
    failure = _first_adversarial_failure(range(600), dense, streamed)
    assert failure is None, failure


def test_adversarial_two_shops() -> None:
    for seed in range(150):
        events = two_shop_stream(seed)
        settings = {ADV_SHOP: variant(seed)[0], OTHER_SHOP: variant(seed + 1)[0]}
        rules = {ADV_SHOP: variant(seed)[1], OTHER_SHOP: variant(seed + 1)[1]}
        assert_same(events, settings, rules)
        assert_same(events, settings, rules, streamed_seed=seed)


W = chat(ts("10:00:00", 20), "system", "bz", None)  # a late watermark: closes everything
B, A = "buyer", "agent"


def _q(text: str, msg_type: str = "text") -> list[dict[str, Any]]:
    """A one-question session whose single answer is ``text``."""
    return [
        chat(ts("10:00:00"), B, "b1", "a1"),
        chat(ts("10:00:01"), A, "b1", "a1", text, msg_type),
        W,
    ]


EDGE_CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]] = {
    "lookback across a DST change is 15 x 24 h": (
        [
            order("paid", "o1", "b1", "2026-10-27T10:00:00-04:00", "1"),
            chat("2026-11-11T10:00:00-05:00", B, "b1", "a1"),
            W,
        ],
        {"timezone": "America/New_York"},
        {},
    ),
    "greeting is case-sensitive": (_q("hello"), {}, {"greeting": {"phrases": ["Hello"]}}),
    "greeting keeps white space": (_q("您 好"), {}, {}),
    "forbidden words keep white space": (_q("自 己看 傻傻"), {}, {}),
    "forbidden words case-fold": (
        _q("STRASSE straße"),
        {},
        {"forbidden_words": {"words": ["straße", "ss"]}},
    ),
    "emoji-type message text counts": (_q("😀", "emoji"), {}, {}),
    "flag across white space, (c) is emoji": (_q("您好🇨 🇳 ©"), {}, {}),
    "keycap holds no emoji": (_q("您好1️⃣1️⃣1️⃣ ™™"), {}, {}),
    "ZWJ family and skin tone are one char": (_q("您好👨‍👩‍👧👍🏻"), {}, {}),
    "reminder tie goes to smallest agent, not event_id": (
        [
            order("created", "o1", "b1", ts("10:00:00"), "1"),
            with_id("z1", chat(ts("10:10:00"), A, "b1", "a1")),
            with_id("a0", chat(ts("10:10:00"), A, "b1", "a2")),
            W,
        ],
        {},
        {},
    ),
    "attribution tie goes to smallest agent, not event_id": (
        [
            with_id("z1", chat(ts("10:00:00"), B, "b1", "a1")),
            with_id("a0", chat(ts("10:00:00"), B, "b1", "a2")),
            order("created", "o1", "b1", ts("10:10:00"), "1"),
            W,
        ],
        {},
        {},
    ),
    "paid exactly at first: after-sale": (
        [
            order("created", "o1", "b1", ts("09:00:00"), "1"),
            order("paid", "o1", "b1", ts("10:00:00"), "1"),
            chat(ts("10:00:00"), B, "b1", "a1"),
            W,
        ],
        {},
        {},
    ),
    "cancelled exactly at first: pre-sale": (
        [
            order("created", "o1", "b1", ts("09:00:00"), "1"),
            order("cancelled", "o1", "b1", ts("10:00:00")),
            chat(ts("10:00:00"), B, "b1", "a1"),
            order("created", "o2", "b1", ts("11:00:00"), "1"),
            W,
        ],
        {},
        {},
    ),
    "placed exactly at first: mid-sale": (
        [chat(ts("10:00:00"), B, "b1", "a1"), order("created", "o1", "b1", ts("10:00:00"), "1"), W],
        {},
        {},
    ),
    "session opened by the agent": (
        [
            chat(ts("10:00:00"), A, "b1", "a1", "您好"),
            chat(ts("10:00:40"), B, "b1", "a1"),
            chat(ts("10:01:00"), A, "b1", "a1", "好的好的好的"),
            W,
        ],
        {},
        {},
    ),
    "equal instants: event_id decides the response": (
        [
            with_id("b", chat(ts("10:00:00"), B, "b1", "a1")),
            with_id("a", chat(ts("10:00:00"), A, "b1", "a1", "您好")),
            with_id("c", chat(ts("10:00:00"), A, "b1", "a1", "您好")),
            W,
        ],
        {},
        {},
    ),
    "two created at one instant: event_id picks the buyer": (
        [
            with_id("z", order("created", "o1", "b2", ts("10:00:00"), "1")),
            with_id("a", order("created", "o1", "b1", ts("10:00:00"), "2")),
            chat(ts("09:00:00"), B, "b1", "a1"),
            chat(ts("09:00:00"), B, "b2", "a2"),
            W,
        ],
        {},
        {},
    ),
    "refund of an unpaid attributed order": (
        [
            chat(ts("09:00:00"), B, "b1", "a1"),
            order("created", "o1", "b1", ts("10:00:00"), "1"),
            order("refunded", "o1", "b1", ts("11:00:00"), "0.5"),
            W,
        ],
        {},
        {},
    ),
    "the placing event names the buyer": (
        [
            chat(ts("09:00:00"), B, "b2", "a1"),
            order("created", "o1", "b1", ts("08:00:00"), "1"),
            order("paid", "o1", "b2", ts("08:30:00"), "1"),
            W,
        ],
        {},
        {},
    ),
    "paid before created: never reminded": (
        [
            chat(ts("09:00:00"), B, "b1", "a1"),
            order("paid", "o1", "b1", ts("09:30:00"), "1"),
            order("created", "o1", "b1", ts("10:00:00"), "1"),
            chat(ts("10:30:00"), A, "b1", "a2", "付款"),
            W,
        ],
        {},
        {},
    ),
    "zero lookback": (
        [order("paid", "o1", "b1", ts("10:00:00"), "1"), chat(ts("10:00:00"), B, "b1", "a1"), W],
        {"aftersale_lookback_days": 0},
        {},
    ),
    "open session is not QA-scored": ([chat(ts("10:00:00"), B, "b1", "a1")], {}, {}),
    "late payment turns a lost inquiry converted": (
        [
            chat(ts("10:00:00"), B, "b1", "a1"),
            order("created", "o1", "b1", ts("11:00:00"), "5"),
            order("paid", "o1", "b1", ts("10:00:00", 25), "5"),
        ],
        {},
        {},
    ),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases(name: str) -> None:
    events, settings, rules = EDGE_CASES[name]
    assert_same(events, {SHOP: settings}, {SHOP: rules})
    assert oracle_rows(events, {SHOP: settings}, {SHOP: rules})[0]


def test_money_parts_are_decimals() -> None:
    agents, shops = oracle_rows(*EDGE_CASES["refund of an unpaid attributed order"][:1], {}, {})
    row = next(iter(agents.values()))
    assert row["refund_amount"] == Decimal("0.5") and isinstance(row["refund_amount"], Decimal)
    assert next(iter(shops.values()))["placed_orders"] == 1


def test_adversarial_streams_exercise_reviews() -> None:
    """The streams above hold SPEC §11 reviews that count: served, named, bad, with DSR."""
    from tests.oracle.compare import oracle_rows

    agent_sums = dict.fromkeys(("reviews", "review_mentions", "bad_reviews"), 0)
    shop_sums = dict.fromkeys(("reviews_total", "dsr_item_count"), 0)
    for seed in range(100):
        s, r = variant(seed)
        agents, shops = oracle_rows(stream(seed, 50), {ADV_SHOP: s}, {ADV_SHOP: r})
        for row in agents.values():
            for name in agent_sums:
                agent_sums[name] += int(row[name])
        for row in shops.values():
            for name in shop_sums:
                shop_sums[name] += int(row[name])
    assert all(agent_sums.values()), agent_sums
    assert all(shop_sums.values()), shop_sums
