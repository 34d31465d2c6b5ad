"""Small adversarial streams for the differential test, and a shrinker for disagreements.

The traffic simulator produces realistic traffic but almost never exact ties or boundary
values; these streams put events on a coarse time grid (equal instants, gaps of exactly
session_gap, windows of exactly 72 h / 24 h / 15 days, midnight) with few buyers and
agents, tricky texts and every order-event type, so that the readings of the SPEC show.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

SHOP = "shop-adv"
OTHER_SHOP = "shop-adv-2"
BASE = datetime(2026, 11, 11, 22, 0, tzinfo=timezone(timedelta(hours=8)))
AGENTS: list[str | None] = ["a1", "a2", "A3", None]
BUYERS = ["b1", "b2"]
TEXTS = [
    "您好",
    "亲 在的😀😀😀",
    "滚",
    "不知道，自己看",
    "ok",
    "谢谢",
    "1️⃣©™",
    "🇨 🇳 hi",
    "IDIOT 白痴",
    "a\u3000b\u00a0c d",
    "👍🏻👍🏻",
    "欢迎光临 👨\u200d👩\u200d👧",
    "x\u200by",
    "你好，请问有什么可以帮您",
    "Hello there",
    "HELLO 😀",
    "您 好",
    "自 己看",
    "STRASSE straße",
]
MSG_TYPES = ["text", "text", "text", "emoji", "image", "order_card"]
AMOUNTS = ["1", "0.5", "10.25", "199.00", "3"]
#: offsets from the previous event, in seconds: ties, gap boundaries, slow-reply boundaries
STEPS = [0, 0, 1, 29, 30, 31, 300, 1799, 1800, 1801, 3600, 86400, 259200, 259201]
#: jumps from BASE for a fresh "day": lookback and window boundaries
JUMPS = [0, 1, 2, 3, 15, 16, -15, -1]


#: (settings, QA rule overrides) variants; the seed picks one
VARIANTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, {}),
    (
        {"timezone": "America/New_York", "aftersale_lookback_days": 10},
        {"greeting": {"phrases": ["hello", "您 好"]}, "forbidden_words": {"words": ["straße"]}},
    ),
    (
        {"session_gap_seconds": 300, "slow_reply_seconds": 0, "attribution_window_seconds": 86400},
        {"min_emojis": {"min_count": 0}, "min_reply_length": {"min_chars": 2, "penalty": 40}},
    ),
    (
        {"timezone": "UTC", "reminder_window_seconds": 1800, "aftersale_lookback_days": 0},
        {"unanswered": {"enabled": False}, "closing_by_agent": {"penalty": 0}},
    ),
    # SPEC §11 business hours with edges on the grid: BASE (Wed 22:00) is the closing
    # instant; Thu opens 00:00–00:30 (over midnight from nothing) and 09:00–23:30; the
    # jumps land on closed days and on Tue/Fri/Sat openings.
    (
        {
            "session_gap_seconds": 86400,
            "business_hours": {
                "wed": [["08:00", "22:00"]],
                "thu": [["00:00", "00:30"], ["09:00", "23:30"]],
                "tue": [["22:00", "24:00"]],
                "fri": [["23:00", "24:00"]],
                "sat": [["00:00", "00:01"]],
            },
        },
        {},
    ),
]


def _stamp(t: datetime, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return t.isoformat()


def variant(seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    return VARIANTS[seed % len(VARIANTS)]


def stream(seed: int, n: int = 40, dense: bool = False) -> list[dict[str, Any]]:
    """``dense``: one buyer, two agents, no day jumps (long conversations, many responses)."""
    rng = random.Random(seed)
    buyers, agents = (BUYERS[:1], AGENTS[:2]) if dense else (BUYERS, AGENTS)
    t = BASE
    events: list[dict[str, Any]] = []
    ids = rng.sample(range(1000), n)
    for i in range(n):
        if not dense and rng.random() < 0.1:
            t = BASE + timedelta(days=rng.choice(JUMPS))
        else:
            t = t + timedelta(seconds=rng.choice(STEPS) * rng.choice([1, 1, 1, -1]))
        eid = f"e{ids[i]:03d}"
        if events and rng.random() < 0.05:
            eid = rng.choice(events)["event_id"]  # duplicate id (maybe different body)
        roll = rng.random()
        if roll < 0.7:
            events.append(_chat(rng, eid, _stamp(t, rng), buyers, agents))
        elif roll < 0.9:
            events.append(_order(rng, eid, _stamp(t, rng), buyers))
        else:
            events.append(_review(rng, eid, _stamp(t, rng), buyers))
    return events


#: review texts (SPEC §11) naming nicknames in other cases, nested, or nobody
REVIEW_TEXTS = ["A1很棒", "谢谢a2和A3", "a3a1", "", "差", "a", "STRASSE"]


def _review(rng: random.Random, eid: str, at: str, buyers: list[str]) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "event_id": eid,
        "type": "review.posted",
        "shop_id": SHOP,
        "order_id": rng.choice(["o1", "o2", "o3", "o4"]),  # o4: never placed
        "buyer_id": rng.choice(buyers),
        "posted_at": at,
        "rating": rng.choice(["good", "good", "neutral", "bad"]),
        "text": rng.choice(REVIEW_TEXTS),
    }
    roll = rng.random()
    if roll < 0.3:
        ev["dsr"] = None
    elif roll < 0.8:
        keys = rng.sample(["item", "service", "logistics"], rng.randint(0, 3))
        ev["dsr"] = {k: rng.randint(1, 5) for k in keys}
    return ev


def two_shop_stream(seed: int, n: int = 40) -> list[dict[str, Any]]:
    """Two shops sharing buyer, agent, order and event ids, interleaved: dedupe is per shop
    and no number may leak from one shop to the other."""
    rng = random.Random(seed)
    first = stream(seed, n)
    second = [{**e, "shop_id": OTHER_SHOP} for e in stream(seed + 10_000, n)]
    second += [{**e, "shop_id": OTHER_SHOP} for e in first if rng.random() < 0.5]
    events = first + second
    rng.shuffle(events)
    return events


def _chat(
    rng: random.Random, eid: str, at: str, buyers: list[str], agents: list[str | None]
) -> dict[str, Any]:
    sender = rng.choice(["buyer", "buyer", "agent", "agent", "bot", "system"])
    msg_type = rng.choice(MSG_TYPES)
    text = rng.choice(TEXTS) if msg_type == "text" or rng.random() < 0.5 else ""
    return {
        "event_id": eid,
        "type": "chat.message",
        "shop_id": SHOP,
        "buyer_id": rng.choice(buyers),
        "agent_id": rng.choice(agents),
        "sender": sender,
        "sent_at": at,
        "msg_type": msg_type,
        "text": text,
    }


def _order(rng: random.Random, eid: str, at: str, buyers: list[str]) -> dict[str, Any]:
    kind = rng.choice(["created", "created", "paid", "paid", "cancelled", "refunded"])
    ev: dict[str, Any] = {
        "event_id": eid,
        "type": f"order.{kind}",
        "shop_id": SHOP,
        "order_id": rng.choice(["o1", "o2", "o3"]),
        "buyer_id": rng.choice(buyers),
        "occurred_at": at,
    }
    if kind != "cancelled" or rng.random() < 0.5:
        ev["amount"] = rng.choice(AMOUNTS)
    return ev


def shrink(
    events: list[dict[str, Any]], fails: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Greedy one-at-a-time removal while the disagreement persists (a 1-minimal subset)."""
    current = list(events)
    changed = True
    while changed:
        changed = False
        for i in range(len(current)):
            candidate = current[:i] + current[i + 1 :]
            if fails(candidate):
                current = candidate
                changed = True
                break
    return current
