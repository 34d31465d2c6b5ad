"""Order-independence (SPEC §5): any permutation, batching and duplication of the same
events gives the incremental scorer exactly the batch recomputation's totals and facts."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.settings import ShopSettings
from services.scoring.core import ChatMessage, OrderEvent, ReviewEvent
from services.scoring.core.model import Event
from tests.scoring.incremental import IncrementalScorer
from tests.scoring.recompute import derive_all, recompute

# Near local midnight so that sessions, responses and inquiries straddle two days.
BASE = datetime(2026, 11, 11, 23, 55, tzinfo=ZoneInfo("Asia/Shanghai"))

# s1: compressed windows on a 30 s grid, so gaps of exactly 60 s (session), 300 s
# (attribution), 120 s (reminder) and 1 day (after-sale lookback) occur often, ±1 µs.
# s2: the SPEC defaults on a 15 min grid with 15-day jumps.
SHOPS = {
    "s1": (
        ShopSettings(
            session_gap_seconds=60,
            attribution_window_seconds=300,
            aftersale_lookback_days=1,
            slow_reply_seconds=5,
            reminder_window_seconds=120,
        ),
        timedelta(seconds=30),
        timedelta(days=1),
    ),
    "s2": (ShopSettings(), timedelta(minutes=15), timedelta(days=15)),
    # s3: s1's windows with business hours (SPEC §11) whose edges sit on the grid: Wed
    # closes at 23:57, Thu opens 00:01 (over midnight), Fri 23:56–24:00 only; questions
    # asked while closed are timed from the next opening, answers before it take 0 s.
    "s3": (
        ShopSettings.from_dict(
            {
                "session_gap_seconds": 240,
                "attribution_window_seconds": 300,
                "aftersale_lookback_days": 1,
                "slow_reply_seconds": 5,
                "reminder_window_seconds": 120,
                "business_hours": {
                    "wed": [["09:00", "23:57"]],
                    "thu": [["00:01", "00:02"], ["00:03", "23:00"]],
                    "fri": [["23:56", "24:00"]],
                },
            }
        ),
        timedelta(seconds=30),
        timedelta(days=1),
    ),
}
SETTINGS = {shop: cfg[0] for shop, cfg in SHOPS.items()}
BUYERS = st.sampled_from(["b1", "b1", "b1", "b2", "b3"])  # b1-heavy: more interactions
TEXTS = ["您好亲😀😀😀", "在吗", "好的", "不知道 滚", "谢谢👍🏽", "", "👨\u200d👩\u200d👧"]


@st.composite
def instants(draw: st.DrawFn, shop: str) -> datetime:
    _, step, long = SHOPS[shop]
    return (
        BASE
        + draw(st.integers(0, 10)) * step
        + draw(st.sampled_from([0] * 5 + [1])) * long
        + draw(st.sampled_from([timedelta(0), timedelta(0), timedelta(microseconds=1)]))
    )


@st.composite
def chat(draw: st.DrawFn, shop: str, eid: str) -> ChatMessage:
    return ChatMessage(
        shop,
        eid,
        draw(BUYERS),
        draw(st.sampled_from(["A", "a", "B", None, "s:小美", "x:AB", "小美美"])),
        draw(st.sampled_from(["buyer", "buyer", "agent", "agent", "bot", "system"])),
        draw(instants(shop)),
        draw(st.sampled_from(["text", "text", "emoji", "image"])),
        draw(st.sampled_from(TEXTS)),
    )


@st.composite
def order_event(draw: st.DrawFn, shop: str, eid: str) -> OrderEvent:
    kind = draw(
        st.sampled_from(["order.created", "order.paid", "order.cancelled", "order.refunded"])
    )
    amount = (
        None if kind == "order.cancelled" else Decimal(draw(st.sampled_from(["10", "5.5", "0.01"])))
    )
    return OrderEvent(
        shop,
        eid,
        kind,  # type: ignore[arg-type]
        draw(st.sampled_from(["o1", "o2", "o3"])),
        draw(BUYERS),
        draw(instants(shop)),
        amount,
    )


# Review texts naming the agents' nicknames (小美, ab/AB case-folded, 小美美 nesting 小美)
# or nobody; o9 is never placed (its review counts nowhere).
REVIEW_TEXTS = ["小美很好", "Ab 棒", "小美美真好", "", "AB和小美", "b"]
DSR = st.sampled_from([None, 1, 5])


@st.composite
def review(draw: st.DrawFn, shop: str, eid: str) -> ReviewEvent:
    return ReviewEvent(
        shop,
        eid,
        draw(st.sampled_from(["o1", "o2", "o3", "o9"])),
        draw(BUYERS),
        draw(instants(shop)),
        draw(st.sampled_from(["good", "good", "neutral", "bad"])),
        draw(st.sampled_from(REVIEW_TEXTS)),
        draw(DSR),
        draw(DSR),
        draw(DSR),
    )


@st.composite
def event_sets(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    for i in range(draw(st.integers(1, 22))):
        shop = draw(st.sampled_from(["s1", "s1", "s2", "s3", "s3"]))
        # Unique ids (the index) with a drawn leading digit, so that on equal timestamps
        # the event_id tie-break goes either way relative to generation order.
        eid = f"e{draw(st.integers(0, 9))}{i:02d}"
        kind = draw(st.sampled_from(["chat", "chat", "chat", "order", "order", "review"]))
        make = {"chat": chat, "order": order_event, "review": review}[kind]
        events.append(draw(make(shop, eid)))
    return events


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_sets(), data=st.data())
def test_incremental_equals_batch_for_any_order_batching_and_duplicates(
    events: list[Event], data: st.DataObject
) -> None:
    expected_totals = recompute(events, SETTINGS)
    expected_facts = derive_all(events, SETTINGS)

    stream = data.draw(st.permutations(events), label="order")
    for index in data.draw(st.lists(st.integers(0, len(events) - 1), max_size=4), label="dups"):
        at = data.draw(st.integers(0, len(stream)), label="dup position")
        stream = [*stream[:at], events[index], *stream[at:]]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5), label="cuts"))
    bounds = [0, *cuts, len(stream)]

    scorer = IncrementalScorer(settings_by_shop=SETTINGS)
    for lo, hi in pairwise(bounds):
        scorer.apply_batch(stream[lo:hi])

    assert scorer.totals == expected_totals
    assert scorer.facts == expected_facts
    # The totals are exactly the sum of the stored per-buyer contributions, no zero rows.
    assert all(not p.is_zero() for p in scorer.totals.agent_days.values())
    assert all(not t.is_zero() for t in scorer.totals.spreads.values())
