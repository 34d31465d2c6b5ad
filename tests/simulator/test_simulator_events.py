"""The simulator's event stream: determinism, SPEC §2 validity, time, duplicates, the mix."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta
from functools import cache

import orjson
import pytest

from shared.simulator import (
    DEFAULT_START,
    INVALID_REASONS,
    MSG_TYPES,
    ORDER_TYPES,
    SENDERS,
    SimConfig,
    SimEvent,
    generate,
    money,
    scenario_of,
)
from tests.simulator.spec_checker import MONEY_RE, check, parse_ts, timestamp_of

MESSY = SimConfig(
    seed=7,
    shops=3,
    agents_per_shop=8,
    late_fraction=0.03,
    duplicate_fraction=0.02,
    invalid_fraction=0.02,
)


def _wire(events: list[SimEvent]) -> list[tuple[str, bytes, bytes]]:
    return [(e.topic, e.key, e.value) for e in events]


@cache
def _messy() -> tuple[SimEvent, ...]:
    return tuple(generate(MESSY, count=60_000))


@cache
def _clean_long() -> tuple[SimEvent, ...]:
    """Two shops over 30 days, no late events: for checks that follow one order or buyer."""
    cfg = SimConfig(
        seed=11,
        shops=2,
        agents_per_shop=12,
        arrivals_per_hour=20,
        now=DEFAULT_START + timedelta(days=20),
    )
    return tuple(generate(cfg))


def test_same_seed_gives_identical_bytes() -> None:
    a = _wire(list(generate(MESSY, count=20_000)))
    b = _wire(list(generate(MESSY, count=20_000)))
    assert len(a) == 20_000
    assert a == b


def test_different_seed_gives_a_different_stream() -> None:
    a = _wire(list(generate(MESSY, count=2_000)))
    b = _wire(list(generate(replace(MESSY, seed=8), count=2_000)))
    assert a != b


def test_count_and_laziness() -> None:
    assert list(generate(MESSY, count=0)) == []
    it = generate(SimConfig(seed=1), count=None)
    first = [next(it) for _ in range(5)]
    assert len(first) == 5


def test_valid_events_satisfy_spec_and_invalid_ones_do_not() -> None:
    shops = set(MESSY.resolved_shop_ids())
    reasons: Counter[str] = Counter()
    for ev in _messy():
        problems = check(ev.value, ev.key, ev.topic, shops)
        if ev.invalid_reason is None:
            assert problems == [], (problems, ev.value[:300])
            assert orjson.loads(ev.value) == ev.event
            assert ev.key == ev.event["shop_id"].encode()
            assert ev.topic == (
                "cs.chat.v1" if ev.event["type"] == "chat.message" else "cs.order.v1"
            )
        else:
            reasons[ev.invalid_reason] += 1
            assert problems, (ev.invalid_reason, ev.value[:300])
    assert set(reasons) == set(INVALID_REASONS), reasons


def test_timestamps_have_offset_and_milliseconds() -> None:
    for ev in _messy()[:5000]:
        if ev.invalid_reason is None:
            ts = ev.event.get("sent_at") or ev.event.get("occurred_at") or ev.event["posted_at"]
            assert ts.endswith("+08:00")
            assert len(ts) == len("2026-11-11T10:00:03.120+08:00")


def test_never_in_the_future_of_now() -> None:
    now = DEFAULT_START + timedelta(days=3, hours=5, minutes=7)
    cfg = SimConfig(
        seed=3, shops=2, now=now, late_fraction=0.05, duplicate_fraction=0.02, invalid_fraction=0.01
    )
    events = list(generate(cfg))  # finite: it ends at `now`
    assert len(events) > 1000
    now_ms = int(now.timestamp() * 1000)
    for ev in events:
        assert ev.at_ms <= now_ms
        if ev.invalid_reason is None:
            ts = timestamp_of(ev.event)
            assert ts <= now
            assert int(ts.timestamp() * 1000) <= ev.at_ms
    # the stream came close to now
    assert now_ms - events[-1].at_ms < 3_600_000


def test_duplicates_are_byte_identical_resends() -> None:
    seen: set[tuple[str, bytes, bytes]] = set()
    dups = 0
    for ev in _messy():
        wire = (ev.topic, ev.key, ev.value)
        if ev.duplicate:
            dups += 1
            assert wire in seen
        else:
            seen.add(wire)
    assert dups > 500


def test_event_ids_unique_within_shop() -> None:
    ids: set[tuple[str, str]] = set()
    for ev in _messy():
        if ev.duplicate or ev.invalid_reason is not None:
            continue
        key = (ev.event["shop_id"], ev.event["event_id"])
        assert key not in ids
        ids.add(key)


def test_late_events_arrive_after_later_ones() -> None:
    latest = None
    out_of_order = 0
    flagged = 0
    for ev in _messy():
        if ev.invalid_reason is not None or ev.duplicate:
            continue
        ts = timestamp_of(ev.event)
        if ev.late:
            flagged += 1
        if latest is not None and ts < latest - timedelta(minutes=1):
            out_of_order += 1
            assert ev.late
        latest = ts if latest is None else max(latest, ts)
    assert flagged > 500
    assert out_of_order > 300


def test_money_spellings() -> None:
    for cents in (0, 5, 50, 590, 5990, 19900, 123456):
        for style in (0.0, 0.3, 0.7):
            s = money(cents, style)
            assert MONEY_RE.match(s), s
            assert round(float(s) * 100) == cents
    assert money(19900, 0.9) == "199"
    assert money(19900, 0.1) == "199.00"
    assert money(5990, 0.3) == "59.9"
    assert money(5990, 0.7) == "59.90"


def test_options_are_checked() -> None:
    with pytest.raises(ValueError):
        generate(SimConfig(late_fraction=1.5))
    with pytest.raises(ValueError):
        generate(SimConfig(arrivals_per_hour=0))


def test_scenario_has_groups_and_mentors() -> None:
    shops = scenario_of(SimConfig(seed=2, shops=2, agents_per_shop=25, buyers_per_shop=100))
    assert scenario_of(SimConfig(seed=2, shops=2, agents_per_shop=25, buyers_per_shop=100)) == shops
    for shop in shops:
        assert len(shop.agents) == 25
        assert len({a.agent_id for a in shop.agents}) == 25
        assert len(set(shop.buyers)) == 100
        assert {a.group for a in shop.agents} == {"presale", "aftersale", "live"}
        ids = {a.agent_id for a in shop.agents}
        mentored = [a for a in shop.agents if a.mentor_id]
        assert mentored and all(a.mentor_id in ids for a in mentored)
    small = scenario_of(SimConfig(agents_per_shop=1))[0]
    assert [a.group for a in small.agents] == ["presale"]


def test_the_mix_covers_every_case() -> None:
    events = _clean_long()
    shop_groups = {
        a.agent_id: a.group
        for s in scenario_of(SimConfig(seed=11, shops=2, agents_per_shop=12))
        for a in s.agents
    }
    chats = [e.event for e in events if e.event["type"] == "chat.message"]
    orders = [e.event for e in events if e.event["type"].startswith("order.")]
    reviews = [e.event for e in events if e.event["type"] == "review.posted"]
    assert {c["msg_type"] for c in chats} == set(MSG_TYPES)
    assert {c["sender"] for c in chats} == set(SENDERS)
    assert {o["type"] for o in orders} == set(ORDER_TYPES)
    # SPEC §11: every rating; good reviews naming an agent by nickname (Latin ones also in
    # another case); changed reviews (two of one order); partial, absent and null DSR.
    assert {r["rating"] for r in reviews} == {"good", "neutral", "bad"}
    nicks = {agent_id.rpartition(":")[2] for agent_id in shop_groups}
    folded = [r["text"].casefold() for r in reviews if r["rating"] == "good"]
    assert any(n.casefold() in text for n in nicks for text in folded)
    assert any(n.isascii() and n.upper() in r["text"] for n in nicks for r in reviews)
    per_order = Counter(r["order_id"] for r in reviews)
    assert max(per_order.values()) >= 2
    assert any(r.get("dsr") and len(r["dsr"]) < 3 for r in reviews)
    assert any("dsr" not in r for r in reviews) and any(r.get("dsr", 0) is None for r in reviews)
    agent_texts = [c["text"] for c in chats if c["sender"] == "agent"]
    assert any("\u200d" in t for t in agent_texts)  # ZWJ sequences
    assert any(any(0x1F3FB <= ord(ch) <= 0x1F3FF for ch in t) for t in agent_texts)  # skin tones
    assert any(t in ("好的", "嗯") for t in agent_texts)  # short replies
    assert any("不知道" in t or "自己看" in t for t in agent_texts)  # forbidden words
    assert any(t.startswith(("您好", "亲", "在的", "欢迎")) for t in agent_texts)  # greetings
    assert any("付款" in t for t in agent_texts)  # payment reminders
    assert any(c["sender"] == "buyer" and c["agent_id"] is None for c in chats)  # unassigned
    assert any(c["sender"] == "system" and "转接" in c["text"] for c in chats)  # transfers
    assert any(c["sender"] == "bot" for c in chats)
    assert any(c["msg_type"] == "text" and len(c["text"]) > 1000 for c in chats)
    assert any(
        shop_groups.get(c["agent_id"]) == "aftersale" and c["sender"] == "agent" for c in chats
    )
    assert any(shop_groups.get(c["agent_id"]) == "live" and c["sender"] == "agent" for c in chats)

    # replies: slow ones (> 30 s), and buyer closings left without an answer
    last_buyer: dict[tuple[str, str | None], float] = {}
    slow = 0
    for c in chats:
        k = (c["buyer_id"], c["agent_id"])
        t = parse_ts(c["sent_at"])
        assert t is not None
        if c["sender"] == "buyer":
            last_buyer.setdefault(k, t.timestamp())
        elif c["sender"] == "agent" and k in last_buyer and t.timestamp() - last_buyer.pop(k) > 30:
            slow += 1
    assert slow > 50

    by_order: dict[str, list[str]] = defaultdict(list)
    for o in orders:
        by_order[o["order_id"]].append(o["type"])
    kinds: Counter[str] = Counter()
    for types in by_order.values():
        if types.count("order.paid") >= 2:
            kinds["deposit+balance"] += 1
        if "order.paid" in types and "order.created" not in types:
            kinds["placed by paid"] += 1
        if "order.created" in types and "order.paid" not in types:
            kinds["unpaid"] += 1
        if "order.cancelled" in types:
            kinds["cancelled"] += 1
        if "order.refunded" in types:
            kinds["refunded"] += 1
        if types.count("order.refunded") >= 2:
            kinds["refunded twice"] += 1
    assert all(
        kinds[k] > 0
        for k in (
            "deposit+balance",
            "placed by paid",
            "unpaid",
            "cancelled",
            "refunded",
            "refunded twice",
        )
    ), kinds

    # silent orders: placed with no buyer message in the 72 hours before
    asked: dict[tuple[str, str], list[float]] = defaultdict(list)
    for c in chats:
        if c["sender"] == "buyer":
            asked[(c["shop_id"], c["buyer_id"])].append(timestamp_of(c).timestamp())
    placed: dict[str, dict[str, object]] = {}
    for o in orders:
        if o["type"] in ("order.created", "order.paid"):
            placed.setdefault(o["order_id"], o)
    silent = 0
    for o in placed.values():
        placed_at = timestamp_of(o).timestamp()
        times = asked.get((str(o["shop_id"]), str(o["buyer_id"])), [])
        i = bisect.bisect_right(times, placed_at)
        if i == 0 or placed_at - times[i - 1] > 72 * 3600:
            silent += 1
    assert silent > 20
    # after-sale: a buyer chats days after paying
    paid_at: dict[tuple[str, str], float] = {}
    for o in orders:
        if o["type"] == "order.paid":
            paid_at.setdefault((o["shop_id"], o["buyer_id"]), timestamp_of(o).timestamp())
    assert any(
        c["sender"] == "buyer"
        and (c["shop_id"], c["buyer_id"]) in paid_at
        and timestamp_of(c).timestamp() - paid_at[(c["shop_id"], c["buyer_id"])] > 86_400
        for c in chats
    )


def test_generation_stops_at_the_count_asked() -> None:
    # Its speed is measured by `make bench` (the producer ceiling), never in a test.
    cfg = SimConfig(seed=5, shops=10, late_fraction=0.01, duplicate_fraction=0.01)
    assert sum(1 for _ in generate(cfg, count=20_000)) == 20_000


def test_the_demo_shop_hours_are_a_valid_setting() -> None:
    from domain.settings import ShopSettings
    from shared.simulator.demo import DEMO_HOURS

    hours = ShopSettings.from_dict({"business_hours": DEMO_HOURS}).business_hours
    assert hours is not None and all(hours.days)  # open every day, closed at night
