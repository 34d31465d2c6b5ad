"""SPEC §11 reviews, rule by rule, with the numbers worked out in comments.

Shop s1, Asia/Shanghai, default settings (attribution window 72 h). Every scenario is a
whole shop recomputed from its events (tests/scoring/recompute.py), the reference the
streaming shell is held equal to.
"""

from __future__ import annotations

from datetime import date

from domain.parts import AgentDayParts, ShopDayParts
from services.scoring.core import ReviewEvent
from services.scoring.core.model import Event, Rating
from services.scoring.core.reviews import named_agents, nickname
from services.scoring.core.totals import Totals
from tests.scoring.recompute import derive_all, recompute
from tests.scoring.scoring_builders import agent, buyer, order, t

D11, D12, D14, D15 = (date(2026, 11, d) for d in (11, 12, 14, 15))


def review(
    oid: str,
    at: str,
    rating: Rating = "good",
    text: str = "",
    *,
    eid: str,
    b: str = "b1",
    dsr: tuple[int | None, int | None, int | None] = (None, None, None),
) -> ReviewEvent:
    return ReviewEvent("s1", eid, oid, b, t(at), rating, text, *dsr)


def agent_row(totals: Totals, agent_id: str, day: date) -> AgentDayParts:
    return totals.agent_days.get(("s1", agent_id, day), AgentDayParts())


def shop_row(totals: Totals, day: date) -> ShopDayParts:
    return totals.shop_days.get(("s1", day), ShopDayParts())


def inquiry_with_order(agent_id: str = "A", b: str = "b1", oid: str = "T1") -> list[Event]:
    """b asks agent_id on 11-11 10:00, is answered, places oid at 11:00 (attributed)."""
    return [
        buyer(t("2026-11-11 10:00:00"), agent_id, b=b),
        agent(t("2026-11-11 10:00:10"), agent_id, b=b),
        order("created", oid, t("2026-11-11 11:00:00"), "100", b=b),
    ]


def test_changed_review_replaces_the_first_entirely() -> None:
    # 11-14 20:00 bad with DSR item 1; 11-15 09:00 changed to good with service 5 and
    # naming 小美美 (nobody: the agent is "A"). The order's review is the good one, on
    # 11-15: A has reviews 1, good 1, bad 0 on 11-15 and nothing on 11-14; the shop
    # 11-15: reviews_total 1, bad 0, service 5/1, no item score (the first's is gone).
    events = [
        *inquiry_with_order(),
        review("T1", "2026-11-14 20:00:00", "bad", "差", eid="r1", dsr=(1, None, None)),
        review("T1", "2026-11-15 09:00:00", "good", "好", eid="r2", dsr=(None, 5, None)),
    ]
    totals = recompute(events)
    a15 = agent_row(totals, "A", D15)
    assert (a15.reviews, a15.good_reviews, a15.bad_reviews) == (1, 1, 0)
    assert agent_row(totals, "A", D14).is_zero()
    s15 = shop_row(totals, D15)
    assert (s15.reviews_total, s15.bad_reviews_total) == (1, 0)
    assert (s15.dsr_item_count, s15.dsr_service_sum, s15.dsr_service_count) == (0, 5, 1)
    assert shop_row(totals, D14).reviews_total == 0


def test_equal_posted_at_goes_to_the_greater_event_id() -> None:
    # Both at 11-14 20:00: "r-b" > "r-a" in code-point order, so the bad one (r-b) counts,
    # whatever order they come in: A bad_reviews 1 on 11-14, bad_review_rate 1/1.
    events = [
        *inquiry_with_order(),
        review("T1", "2026-11-14 20:00:00", "bad", eid="r-b"),
        review("T1", "2026-11-14 20:00:00", "good", eid="r-a"),
    ]
    for ordering in (events, list(reversed(events))):
        row = agent_row(recompute(ordering), "A", D14)
        assert (row.reviews, row.bad_reviews, row.good_reviews) == (1, 1, 0)


def test_review_of_a_never_placed_order_counts_nowhere() -> None:
    # T9 has only a cancel and a refund (never placed), T8 no order event at all: their
    # reviews add nothing, not even to reviews_total; a good one naming 小美 credits no one.
    events: list[Event] = [
        buyer(t("2026-11-11 10:00:00"), "s:小美"),
        order("cancelled", "T9", t("2026-11-11 11:00:00")),
        order("refunded", "T9", t("2026-11-11 12:00:00"), "5"),
        review("T9", "2026-11-14 20:00:00", "good", "小美好", eid="r1"),
        review("T8", "2026-11-14 20:00:00", "bad", eid="r2"),
    ]
    totals = recompute(events)
    assert shop_row(totals, D14).is_zero()
    assert agent_row(totals, "s:小美", D14).is_zero()


def test_silent_orders_review_has_no_service_agent_but_counts_for_the_shop() -> None:
    # T2 placed 11-12 with no inquiry in the 72 h before it: silent. Its bad review on
    # 11-14 counts in reviews_total 1, bad_reviews_total 1 (rate 1.0), DSR logistics 2;
    # no agent has a review. A good review of another silent order T3 naming "Ab" credits
    # agent x:AB with a mention (any order, silent ones included) but no review.
    events: list[Event] = [
        buyer(t("2026-11-01 10:00:00"), "x:AB"),  # 11 days before: outside the window
        order("created", "T2", t("2026-11-12 09:00:00"), "50"),
        order("created", "T3", t("2026-11-12 09:30:00"), "50"),
        review("T2", "2026-11-14 20:00:00", "bad", "破了", eid="r1", dsr=(None, None, 2)),
        review("T3", "2026-11-14 21:00:00", "good", "感谢ab", eid="r2"),
    ]
    totals = recompute(events)
    s14 = shop_row(totals, D14)
    assert (s14.reviews_total, s14.bad_reviews_total) == (2, 1)
    assert (s14.dsr_logistics_sum, s14.dsr_logistics_count) == (2, 1)
    row = agent_row(totals, "x:AB", D14)
    assert (row.reviews, row.review_mentions) == (0, 1)


def test_review_follows_a_late_message_that_moves_the_attribution() -> None:
    # Before: only A talked to b1 (11-11 10:00), T1 placed 11:00 -> A's; review good on
    # 11-14 -> A reviews 1. A late message of b1 to B at 10:30 is the latest touch before
    # 11:00: T1 moves to B, and so does the review (B reviews 1 on 11-14, A 0).
    before = [*inquiry_with_order(), review("T1", "2026-11-14 20:00:00", eid="r1")]
    assert agent_row(recompute(before), "A", D14).reviews == 1
    late = buyer(t("2026-11-11 10:30:00"), "B")
    totals = recompute([*before, late])
    assert agent_row(totals, "A", D14).reviews == 0
    assert agent_row(totals, "B", D14).reviews == 1
    assert agent_row(totals, "B", D14).good_reviews == 1


def test_reviews_count_on_the_posted_day_not_the_inquirys() -> None:
    # Inquiry 11-11, review posted 11-15 00:10 local (11-14 16:10 UTC): counts on 11-15.
    events = [*inquiry_with_order(), review("T1", "2026-11-15 00:10:00", "neutral", eid="r1")]
    totals = recompute(events)
    assert agent_row(totals, "A", D15).neutral_reviews == 1
    assert agent_row(totals, "A", D11).reviews == 0


def test_nicknames_case_fold_and_need_two_characters() -> None:
    agents = frozenset({"shop:Straße", "shop:小", "a:b:Al", "美", "x: Q"})
    # Nicknames: Straße, 小 (1 character: never named), Al (after the last ':'),
    # 美 (1), " Q" (1 character once white space is removed: never named).
    assert nickname("a:b:Al") == "Al" and nickname("美") == "美"
    # Full case folding: ß folds to ss, so "STRASSE" names Straße; "AL" names Al.
    assert named_agents("谢谢STRASSE和aL", agents) == ("a:b:Al", "shop:Straße")
    assert named_agents("小美 Q", agents) == ()


def test_several_agents_named_once_each_and_nested_nicknames() -> None:
    # 小美 and 小美美 are both agents; "小美美小美美" contains both nicknames: each is
    # credited once (not once per occurrence); 阿强 too. The service agent is 小美美.
    events: list[Event] = [
        buyer(t("2026-11-14 08:00:00"), "t:小美", b="b9"),  # makes 小美 an agent
        buyer(t("2026-11-14 08:00:00"), "t:阿强", b="b8"),
        *inquiry_with_order("t:小美美"),
        review("T1", "2026-11-14 20:00:00", "good", "小美美小美美,阿强", eid="r1"),
    ]
    totals = recompute(events)
    mentions = {a: agent_row(totals, a, D14).review_mentions for a in ("t:小美", "t:小美美")}
    assert mentions == {"t:小美": 1, "t:小美美": 1}
    assert agent_row(totals, "t:阿强", D14).review_mentions == 1
    assert agent_row(totals, "t:小美美", D14).reviews == 1
    assert agent_row(totals, "t:小美", D14).reviews == 0


def test_only_good_reviews_name_and_agents_are_any_senders_ids() -> None:
    # A bad review "小美太慢" names nobody (only good reviews name). A bot message with
    # agent_id "s:客服小王" makes 小王's id an agent: the good review naming "客服小王"
    # credits it.
    events: list[Event] = [
        *inquiry_with_order("s:小美"),
        order("created", "T2", t("2026-11-11 11:30:00"), "10"),
        agent(t("2026-11-11 12:00:00"), "s:客服小王", "自动回复", sender="bot"),
        review("T1", "2026-11-14 20:00:00", "bad", "小美太慢", eid="r1"),
        review("T2", "2026-11-14 20:00:00", "good", "客服小王好", eid="r2"),
    ]
    totals = recompute(events)
    assert agent_row(totals, "s:小美", D14).review_mentions == 0
    assert agent_row(totals, "s:小美", D14).bad_reviews == 1
    assert agent_row(totals, "s:客服小王", D14).review_mentions == 1


def test_the_review_belongs_to_the_order_whoever_posts_it() -> None:
    # The review event carries buyer "someone-else": it still counts for T1 (b1's order,
    # served by A), and someone-else gets no facts of their own.
    events = [*inquiry_with_order(), review("T1", "2026-11-12 09:00:00", eid="r1", b="zz")]
    totals = recompute(events)
    assert agent_row(totals, "A", D12).reviews == 1
    facts = derive_all(events)
    assert set(facts) == {("s1", "b1")}
    [only] = facts[("s1", "b1")].reviews
    assert (only.order_id, only.service_agent, only.inquiry_day) == ("T1", "A", D11)
