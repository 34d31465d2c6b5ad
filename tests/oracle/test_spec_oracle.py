"""Hand-worked cases for the oracle itself (numbers derived in the comments, from the SPEC)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.oracle import compute
from tests.oracle.builders import SHOP, chat, order, ts
from tests.oracle.events import parse_time_us
from tests.oracle.spec_oracle import ShopResult
from tests.oracle.text import char_count, emoji_matches, forbidden_occurrences

D11 = date(2026, 11, 11)
D12 = date(2026, 11, 12)


def run(events: list[dict[str, Any]], **settings: Any) -> ShopResult:
    return compute(events, {SHOP: settings})[SHOP]


def part(res: ShopResult, agent: str, day: date, name: str) -> int | Decimal:
    row = res.agent_days.get((agent, day))
    return 0 if row is None else row[name]


def test_text_rules() -> None:
    # 亲 您 好 + 😀 + 👍🏻 (one emoji with its modifier) = 5 characters; the space is dropped
    assert char_count("亲 您好😀👍🏻") == 5
    # keycap holds no emoji; © ™ are emoji; a flag is one; a ZWJ family is one
    assert emoji_matches("1️⃣ © ™ 🇨🇳 👨‍👩‍👧") == ["©", "™", "🇨🇳", "👨\u200d👩\u200d👧"]
    assert char_count("a\u200bb") == 3  # U+200B is not White_Space
    assert char_count("\u3000a\u00a0b ") == 2  # U+3000 and U+00A0 are
    assert emoji_matches("🇨 🇳") == ["🇨🇳"]  # white space removed first
    assert forbidden_occurrences("滚滚，滚筒洗衣机", ["滚", "傻"]) == 3
    assert forbidden_occurrences("You IDIOT", ["idiot"]) == 1
    assert forbidden_occurrences("aaaa", ["aa"]) == 2  # non-overlapping


def test_session_questions_responses_and_qa() -> None:
    ev = [
        chat(ts("10:00:00"), "buyer", "b1", "a1", "在吗"),  # question 1 (first)
        chat(ts("10:00:10"), "agent", "b1", "a1", "亲，您好，在的😀"),  # response 10 s
        chat(ts("10:01:00"), "buyer", "b1", "a1", "有货吗"),  # question 2
        chat(ts("10:01:40"), "agent", "b1", "a1", "有的"),  # response 40 s > 30: slow
        chat(ts("10:02:00"), "buyer", "b1", "a1", "谢谢"),  # question 3, unanswered
        chat(ts("11:00:00"), "system", "b1", None, "x"),  # watermark: closes the session
    ]
    r = run(ev)
    row = r.agent_days[("a1", D11)]
    assert row["buyer_messages"] == 3 and row["agent_messages"] == 2
    assert row["responses"] == 2 and row["response_us_sum"] == 50_000_000
    assert row["first_responses"] == 1 and row["first_response_us_sum"] == 10_000_000
    assert row["slow_responses"] == 1
    assert row["sessions"] == 1 and row["qa_sessions"] == 1
    # closing 5 + min_reply_length (有的 = 2 chars) 2 + min_emojis (1 < 3) 3 + slow 2
    # + unanswered 5 = 17 -> 83; greeting ok (亲)
    assert row["qa_score_sum"] == 83
    assert (row["v_closing_by_agent"], row["v_min_reply_length"], row["v_min_emojis"]) == (1, 1, 1)
    assert (row["v_greeting"], row["v_slow_reply"], row["v_unanswered"]) == (0, 1, 1)
    assert row["v_forbidden_words"] == 0
    assert row["consultations"] == 1 and row["inquiries"] == 1 and row["unreplied_buyers"] == 0
    assert row["lost_inquiries"] == 0


def test_unanswered_session_and_forbidden_words() -> None:
    ev = [
        chat(ts("09:00:00"), "buyer", "b1", "a1", "在吗"),
        chat(ts("09:00:05"), "bot", "b1", "a1", "您好"),  # bots never count
        chat(ts("10:00:00"), "buyer", "b2", "a1", "hi"),
        chat(ts("10:00:05"), "agent", "b2", "a1", "滚，自己看 自己看😀😀😀", "text"),
        chat(ts("23:00:00"), "bot", "bx", None, "x"),
    ]
    r = run(ev)
    row = r.agent_days[("a1", D11)]
    assert row["sessions"] == 2 and row["qa_sessions"] == 2
    # b1's session: closing 5 + unanswered 5 (greeting/emoji not applicable) -> 90
    # b2's: greeting 3 (no phrase) + forbidden 滚 + 2×自己看 = 3 × 10 -> 67
    assert row["qa_score_sum"] == 90 + 67
    assert row["v_forbidden_words"] == 3 and row["v_greeting"] == 1
    assert row["v_unanswered"] == 1 and row["v_closing_by_agent"] == 1
    assert row["unreplied_buyers"] == 1  # b1 only


def test_gap_and_closing_boundaries() -> None:
    ev = [
        chat(ts("10:00:00"), "buyer", "b1", "a1"),
        chat(ts("10:30:00"), "buyer", "b1", "a1"),  # exactly 1800 s: same session
        chat(ts("11:00:01"), "buyer", "b1", "a1"),  # 1801 s: new session
        chat(ts("11:30:01"), "system", "b1", None),  # watermark − 11:00:01 = 1800: open
    ]
    row = run(ev).agent_days[("a1", D11)]
    assert row["sessions"] == 2 and row["qa_sessions"] == 1
    ev.append(chat(ts("11:30:02"), "system", "b1", None))  # now 1801 s: closed
    assert run(ev).agent_days[("a1", D11)]["qa_sessions"] == 2


def test_midnight_days() -> None:
    ev = [
        chat(ts("23:59:50"), "buyer", "b1", "a1"),  # question on day 11
        chat(ts("00:00:30", 12), "agent", "b1", "a1", "您好您好您好"),  # 40 s later, day 12
        chat(ts("00:01:00", 12), "buyer", "b1", "a1"),  # question on day 12, unanswered
        chat(ts("05:00:00", 12), "system", "b1", None),
    ]
    r = run(ev)
    d11, d12 = r.agent_days[("a1", D11)], r.agent_days[("a1", D12)]
    assert d11["responses"] == 1 and d11["slow_responses"] == 1 and d12["responses"] == 0
    assert d11["sessions"] == 1 and d11["qa_sessions"] == 1 and d12["sessions"] == 0
    assert d11["v_slow_reply"] == 1 and d11["v_unanswered"] == 1  # QA on the session's day
    assert d11["consultations"] == 1 and d12["consultations"] == 1
    assert d12["agent_messages"] == 1 and d12["buyer_messages"] == 1
    assert d12["unreplied_buyers"] == 1  # 00:01 has no later agent message
    assert d11["unreplied_buyers"] == 0


def test_attribution_tie_silent_and_shop_days() -> None:
    ev = [
        chat(ts("10:00:00"), "buyer", "b2", "a2"),
        chat(ts("10:00:00"), "buyer", "b2", "a1"),  # same instant: a1 < a2 wins
        order("created", "o1", "b2", ts("12:00:00"), "100.00"),
        order("paid", "o1", "b2", ts("12:05:00"), "59.9"),
        order("paid", "o1", "b2", ts("13:00:00"), "40.1"),  # deposit + balance = 100.0
        order("refunded", "o1", "b2", ts("09:00:00", 20), "10"),  # counts on inquiry day
        order("created", "o2", "b3", ts("14:00:00"), "20"),  # no inquiry: silent, unpaid
        order("paid", "o3", "b3", ts("15:00:00"), "5.5"),  # placed by paid, silent
        order("cancelled", "o4", "b3", ts("15:00:00")),  # never placed: nowhere
    ]
    r = run(ev)
    a1, a2 = r.agent_days[("a1", D11)], r.agent_days[("a2", D11)]
    assert (a1["inquiries"], a1["ordered_buyers"], a1["paid_buyers"]) == (1, 1, 1)
    assert a1["paid_orders"] == 1 and a1["sales_amount"] == Decimal("100.00")
    assert a1["refund_amount"] == Decimal("10")
    assert (a2["inquiries"], a2["ordered_buyers"], a2["paid_buyers"]) == (1, 0, 0)
    # watermark = Nov 20 09:00 is > 72 h after a2's 10:00 message: lost; a1 converted
    assert a2["lost_inquiries"] == 1 and a1["lost_inquiries"] == 0
    shop = r.shop_days[D11]
    assert shop["placed_orders"] == 3 and shop["paid_orders_total"] == 2
    assert shop["sales_total"] == Decimal("105.5")
    assert shop["silent_orders"] == 2 and shop["silent_sales"] == Decimal("5.5")
    assert set(r.shop_days) == {D11}


def test_attribution_window_and_latest_message() -> None:
    ev = [
        chat(ts("10:00:00", 1), "buyer", "b1", "a1"),  # inquiry a1 day 1
        chat(ts("10:00:00", 3), "buyer", "b1", "a2"),  # inquiry a2 day 3
        chat(ts("10:00:01", 4), "buyer", "b1", "a3"),  # after the order: not m <= t
        order("created", "o1", "b1", ts("10:00:00", 4), "1"),  # a2's message is latest
        chat(ts("10:00:00", 1, 12), "buyer", "b9", "a1"),  # inquiry exactly 72 h before
        order("created", "o9", "b9", ts("10:00:00", 4, 12), "1"),  # t − m = window: credited
        chat(ts("10:00:00", 1, 10), "buyer", "b8", "a1"),
        order("created", "o8", "b8", ts("10:00:01", 4, 10), "1"),  # 72 h + 1 s: silent
    ]
    r = run(ev)
    assert part(r, "a2", date(2026, 11, 3), "ordered_buyers") == 1
    assert part(r, "a1", date(2026, 11, 1), "ordered_buyers") == 0
    assert part(r, "a1", date(2026, 12, 1), "ordered_buyers") == 1
    assert part(r, "a1", date(2026, 10, 1), "ordered_buyers") == 0
    assert r.shop_days[date(2026, 10, 4)]["silent_orders"] == 1


def test_aftersale_and_midsale() -> None:
    ev = [
        # b1: paid exactly 15 days before the first message -> after-sale (inclusive)
        order("paid", "o1", "b1", ts("10:00:00", 27, 10), "1"),
        chat(ts("10:00:00", 11), "buyer", "b1", "a1"),
        # b2: paid 15 days + 1 s before -> pre-sale
        order("paid", "o2", "b2", ts("09:59:59", 27, 10), "1"),
        chat(ts("10:00:00", 11), "buyer", "b2", "a1"),
        # b3: placed the day before, still open -> mid-sale
        order("created", "o3", "b3", ts("10:00:00", 10), "1"),
        chat(ts("10:00:00", 11), "buyer", "b3", "a1"),
        # b4: placed before, cancelled exactly at first -> not open by then: pre-sale
        order("created", "o4", "b4", ts("10:00:00", 10), "1"),
        order("cancelled", "o4", "b4", ts("10:00:00", 11)),
        chat(ts("10:00:00", 11), "buyer", "b4", "a1"),
        # b5: a later mid-sale consultation with a2 does not block a1's earlier inquiry
        chat(ts("08:00:00", 11), "buyer", "b5", "a1"),
        order("created", "o5", "b5", ts("09:00:00", 11), "7"),
        chat(ts("09:30:00", 12), "buyer", "b5", "a2"),
        order("created", "o6", "b5", ts("10:00:00", 12), "8"),
    ]
    r = run(ev)
    a1 = r.agent_days[("a1", D11)]
    assert a1["consultations"] == 5 and a1["inquiries"] == 3  # b2, b4, b5
    assert a1["ordered_buyers"] == 1  # b5: o5 and o6 both credited to a1's day-11 inquiry
    assert r.agent_days[("a2", D12)]["inquiries"] == 0
    assert r.shop_days[D12]["silent_orders"] == 0


def test_reminders() -> None:
    ev = [
        order("created", "o1", "b1", ts("10:00:00"), "1"),
        chat(ts("10:00:00"), "agent", "b1", "a0", "在的"),  # not after placed (strict)
        chat(ts("10:30:00"), "agent", "b1", "a3", "付款吧"),
        chat(ts("10:30:00"), "agent", "b1", "a1", "付款吧"),  # tie: a1 < a3
        order("paid", "o1", "b1", ts("11:00:00"), "1"),
        order("created", "o2", "b2", ts("10:00:00"), "1"),
        chat(ts("10:00:00", 12), "agent", "b2", "a2", "在吗"),  # exactly 24 h: reminded, unpaid
        order("paid", "o3", "b3", ts("10:00:00"), "1"),  # placed by paid: never reminded
        chat(ts("10:10:00"), "agent", "b3", "a2", "x"),
        order("created", "o4", "b4", ts("10:00:00"), "1"),
        order("cancelled", "o4", "b4", ts("10:20:00")),
        chat(ts("10:20:00"), "agent", "b4", "a2", "x"),  # not before cancellation
    ]
    r = run(ev)
    assert part(r, "a1", D11, "reminded_orders") == 1
    assert part(r, "a1", D11, "reminder_successes") == 1
    assert part(r, "a3", D11, "reminded_orders") == 0
    assert part(r, "a0", D11, "reminded_orders") == 0
    assert part(r, "a2", D12, "reminded_orders") == 1
    assert part(r, "a2", D12, "reminder_successes") == 0
    assert part(r, "a2", D11, "reminded_orders") == 0


def test_dedupe_watermark_and_timezone() -> None:
    first = chat("2026-11-11T02:00:00Z", "buyer", "b1", "a1")  # 10:00 in Shanghai
    dup = {**first, "agent_id": "a9"}  # conflicting duplicate: dropped, first wins
    late_order = order("cancelled", "ox", "b7", ts("10:40:00"))  # never placed, still a watermark
    r = run([first, dup, late_order])
    assert r.agent_days[("a1", D11)]["qa_sessions"] == 1  # 10:40 − 10:00 > 30 min
    assert ("a9", D11) not in r.agent_days
    assert parse_time_us("2026-11-11T02:00:00.1234567Z") == parse_time_us(
        "2026-11-11T10:00:00.123456+08:00"
    )
    # the same instant is a different local day in another timezone
    r2 = run([first], timezone="America/New_York")
    assert ("a1", date(2026, 11, 10)) in r2.agent_days


def test_rule_overrides() -> None:
    ev = [
        chat(ts("10:00:00"), "buyer", "b1", "a1", "hi"),
        chat(ts("10:00:05"), "agent", "b1", "a1", "hello😀😀😀"),
        chat(ts("12:00:00"), "system", "b1", None),
    ]
    res = compute(ev, None, {SHOP: {"greeting": {"phrases": ["Hello"]}}})[SHOP]
    assert res.agent_days[("a1", D11)]["v_greeting"] == 1  # plain substring, case kept
    res = compute(ev, None, {SHOP: {"greeting": {"enabled": False}}})[SHOP]
    assert res.agent_days[("a1", D11)]["v_greeting"] == 0
    assert res.agent_days[("a1", D11)]["qa_score_sum"] == 100
