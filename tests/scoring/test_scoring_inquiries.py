"""Consultations, inquiries, attribution, inquiry status (SPEC §4, §5)."""

from datetime import timedelta
from decimal import Decimal

from domain.metrics import agent_row
from tests.scoring.incremental import IncrementalScorer
from tests.scoring.recompute import recompute
from tests.scoring.scoring_builders import FAR, agent, buyer, day_parts, derive, order, t

US = timedelta(microseconds=1)


def test_converted_inquiry_numbers_and_ratios() -> None:
    # Inquiry with A on 11-11; order created 11:00 (199), paid 11:05 with deposit 50 and
    # balance 149.90 -> paid amount 199.90. One buyer: inquiries 1, ordered 1, paid 1,
    # paid_orders 1, sales 199.90 -> conversion 1.0, payment rate 1.0, AOV 199.9.
    f = derive(
        [
            buyer(t("2026-11-11 10:00:00")),
            agent(t("2026-11-11 10:00:10")),
            order("created", "o1", t("2026-11-11 11:00:00"), "199.90"),
            order("paid", "o1", t("2026-11-11 11:05:00"), "50"),
            order("paid", "o1", t("2026-11-12 09:00:00"), "149.90"),
        ],
        FAR,
    )
    r = agent_row(day_parts(f, "A", "2026-11-11"))
    assert (r["consultations"], r["inquiries"], r["ordered_buyers"], r["paid_buyers"]) == (
        1,
        1,
        1,
        1,
    )
    assert (r["paid_orders"], r["sales_amount"], r["avg_order_value"]) == (1, "199.90", 199.9)
    assert (r["inquiry_conversion_rate"], r["order_payment_rate"], r["lost_inquiries"]) == (
        1.0,
        1.0,
        0,
    )
    assert f.orders[0].paid_at == t("2026-11-11 11:05:00")  # paid at the earliest order.paid
    assert f.consultations[0].status == "converted"


def test_conversion_rates_over_three_buyers() -> None:
    # b1 orders and pays 100; b2 orders, never pays; b3 only asks. inquiries 3, ordered 2,
    # paid 1 -> inquiry_conversion_rate 1/3, order_payment_rate 1/2, AOV 100/1 = 100.
    ev = []
    for b in ("b1", "b2", "b3"):
        ev += [buyer(t("2026-11-11 10:00:00"), b=b), agent(t("2026-11-11 10:00:10"), b=b)]
    ev += [
        order("created", "o1", t("2026-11-11 12:00:00"), "100", b="b1"),
        order("paid", "o1", t("2026-11-11 12:01:00"), "100", b="b1"),
        order("created", "o2", t("2026-11-11 12:00:00"), "80", b="b2"),
    ]
    totals = recompute(ev)
    r = agent_row(totals.agent_days[("s1", "A", t("2026-11-11 00:00:00").date())])
    assert (r["inquiries"], r["ordered_buyers"], r["paid_buyers"]) == (3, 2, 1)
    assert r["inquiry_conversion_rate"] == 1 / 3 and r["order_payment_rate"] == 0.5
    assert r["avg_order_value"] == 100.0 and r["sales_amount"] == "100.00"


def test_latest_buyer_message_wins_and_message_at_placement_counts() -> None:
    # A asked at 10:00, B at 12:00; order at 13:00 -> B (latest m <= t). Then the buyer
    # writes to A at exactly 14:00, the instant o2 is placed -> m <= t -> A.
    f = derive(
        [
            buyer(t("2026-11-11 10:00:00"), agent="A"),
            buyer(t("2026-11-11 12:00:00"), agent="B"),
            order("created", "o1", t("2026-11-11 13:00:00"), "10"),
            buyer(t("2026-11-11 14:00:00"), agent="A"),
            order("created", "o2", t("2026-11-11 14:00:00"), "10"),
        ],
        FAR,
    )
    d = t("2026-11-11 00:00:00").date()
    assert {o.order_id: o.attributed for o in f.orders} == {"o1": ("B", d), "o2": ("A", d)}


def test_attribution_tie_goes_to_smallest_agent_id_in_code_point_order() -> None:
    # The buyer writes to "a" and "B" at the same instant: "B" (U+0042) < "a" (U+0061).
    at = t("2026-11-11 10:00:00")
    f = derive(
        [
            buyer(at, agent="a", eid="m1"),
            buyer(at, agent="B", eid="m2"),
            order("created", "o1", t("2026-11-11 11:00:00"), "10"),
        ],
        FAR,
    )
    assert f.orders[0].attributed == ("B", at.date())
    assert day_parts(f, "B", "2026-11-11").ordered_buyers == 1
    assert day_parts(f, "a", "2026-11-11").ordered_buyers == 0


def test_attribution_window_is_inclusive_at_exactly_72_hours() -> None:
    m = t("2026-11-11 10:00:00")
    edge = derive([buyer(m), order("created", "o1", m + timedelta(hours=72), "10")], FAR)
    assert edge.orders[0].attributed == ("A", m.date())
    past = derive([buyer(m), order("created", "o1", m + timedelta(hours=72) + US, "10")], FAR)
    assert past.orders[0].silent
    # The silent order counts at shop level on its placement day (11-14).
    assert past.shop_days[(m + timedelta(hours=72)).date()].silent_orders == 1


def test_order_counts_on_inquiry_day_whenever_placed_and_paid() -> None:
    # Inquiry 11-11 23:00; order placed 11-13 and paid 11-13, refunded 30 on 11-20.
    # Agent numbers on 11-11 (inquiry day); shop numbers on 11-13 (placement day).
    f = derive(
        [
            buyer(t("2026-11-11 23:00:00")),
            order("created", "o1", t("2026-11-13 10:00:00"), "88"),
            order("paid", "o1", t("2026-11-13 10:01:00"), "88"),
            order("refunded", "o1", t("2026-11-20 10:00:00"), "30"),
        ],
        FAR,
    )
    p = day_parts(f, "A", "2026-11-11")
    assert (p.paid_orders, p.sales_amount, p.refund_amount) == (1, Decimal("88"), Decimal("30"))
    assert set(f.shop_days) == {t("2026-11-13 00:00:00").date()}


def test_refunds_add_up_and_cancellation_does_not_undo_ordered() -> None:
    # Order placed (unpaid), refunded 20 and 5.50, cancelled: ordered 1, paid 0,
    # refund_amount 25.50 (refunds count whenever they happen). At FAR it is lost.
    f = derive(
        [
            buyer(t("2026-11-11 10:00:00")),
            order("created", "o1", t("2026-11-11 11:00:00"), "99"),
            order("refunded", "o1", t("2026-11-11 11:10:00"), "20"),
            order("refunded", "o1", t("2026-11-11 11:20:00"), "5.50"),
            order("cancelled", "o1", t("2026-11-11 11:30:00")),
        ],
        FAR,
    )
    p = day_parts(f, "A", "2026-11-11")
    assert (p.ordered_buyers, p.paid_buyers, p.refund_amount, p.lost_inquiries) == (
        1,
        0,
        Decimal("25.50"),
        1,
    )
    assert f.consultations[0].status == "lost" and f.consultations[0].ordered


def test_aftersale_bounds_are_inclusive() -> None:
    # Order paid (placed by paid) 11-01 10:00. A consultation exactly 15 days later is
    # after-sale; 1 µs later it is pre-sale.
    paid = order("paid", "o1", t("2026-11-01 10:00:00"), "10")
    at = t("2026-11-16 10:00:00")
    f = derive([paid, buyer(at)], FAR)
    assert f.consultations[0].kind == "aftersale"
    p = day_parts(f, "A", "2026-11-16")
    assert (p.consultations, p.inquiries) == (1, 0)
    later = derive([paid, buyer(at + US)], FAR)
    assert later.consultations[0].kind == "presale"
    # Paid exactly at `first` is "within [first - L, first]" too.
    assert (
        derive([order("paid", "o2", at, "1"), buyer(at)], FAR).consultations[0].kind == "aftersale"
    )


def test_aftersale_neither_takes_the_order_nor_blocks_the_earlier_inquiry() -> None:
    # 10:00 pre-sale inquiry with A; 11:00 o1 created+paid (-> A); 12:00 buyer writes to B:
    # after-sale (o1 paid within lookback); 13:00 o2 created -> latest inquiry message is
    # A's 10:00 (B's does not compete) -> A.
    f = derive(
        [
            buyer(t("2026-11-11 10:00:00"), agent="A"),
            order("created", "o1", t("2026-11-11 11:00:00"), "10"),
            order("paid", "o1", t("2026-11-11 11:00:01"), "10"),
            buyer(t("2026-11-11 12:00:00"), agent="B"),
            order("created", "o2", t("2026-11-11 13:00:00"), "20"),
        ],
        FAR,
    )
    d = t("2026-11-11 00:00:00").date()
    assert {c.agent_id: c.kind for c in f.consultations} == {"A": "presale", "B": "aftersale"}
    assert {o.order_id: o.attributed for o in f.orders} == {"o1": ("A", d), "o2": ("A", d)}
    a = day_parts(f, "A", "2026-11-11")
    assert (a.ordered_buyers, a.paid_buyers, a.paid_orders, a.sales_amount) == (
        1,
        1,
        1,
        Decimal("10"),
    )


def test_midsale_order_open_at_first_and_bounds() -> None:
    # o1 created 10:00 (unpaid); the buyer writes at 11:00 -> mid-sale (open at first).
    # The order is silent: the only message after it is not an inquiry, and none precedes it.
    first = t("2026-11-11 11:00:00")
    f = derive([order("created", "o1", t("2026-11-11 10:00:00"), "10"), buyer(first)], FAR)
    assert f.consultations[0].kind == "midsale" and f.orders[0].silent
    assert day_parts(f, "A", "2026-11-11").inquiries == 0
    lookback = timedelta(days=15)
    kind = lambda evs: derive([*evs, buyer(first)], FAR).consultations[0].kind  # noqa: E731
    # Placed exactly at first -> within [first - L, first] and still open -> mid-sale.
    assert kind([order("created", "o1", first, "10")]) == "midsale"
    # Placed exactly first - 15 d -> mid-sale; 1 µs earlier -> pre-sale.
    assert kind([order("created", "o1", first - lookback, "10")]) == "midsale"
    assert kind([order("created", "o1", first - lookback - US, "10")]) == "presale"
    # Cancelled exactly at first -> not open -> pre-sale; cancelled 1 µs later -> mid-sale.
    placed = order("created", "o1", first - timedelta(hours=1), "10")
    assert kind([placed, order("cancelled", "o1", first)]) == "presale"
    assert kind([placed, order("cancelled", "o1", first + US)]) == "midsale"
    # Paid after first: still open at first -> mid-sale.
    assert kind([placed, order("paid", "o1", first + US, "10")]) == "midsale"


def test_lost_versus_pending_by_strict_watermark() -> None:
    m = t("2026-11-11 10:00:00")
    ev = [buyer(m)]
    pending = derive(ev, m + timedelta(hours=72))  # watermark - m == window: not lost
    assert pending.consultations[0].status == "pending"
    assert day_parts(pending, "A", "2026-11-11").lost_inquiries == 0
    assert pending.wake_at == m + timedelta(hours=72)
    lost = derive(ev, m + timedelta(hours=72) + US)
    assert lost.consultations[0].status == "lost" and lost.wake_at is None
    assert day_parts(lost, "A", "2026-11-11").lost_inquiries == 1
    # The last buyer message of the day's consultation counts, not the first.
    later = derive([buyer(m), buyer(m + timedelta(hours=5))], m + timedelta(hours=73))
    assert later.consultations[0].status == "pending"


def test_lost_inquiry_becomes_converted_when_its_order_is_paid_later() -> None:
    # Inquiry 11-11 10:00, order 11:00 unpaid. A shop event at 11-14 18:00 (> 72 h) makes it
    # lost (and still ordered). The payment on 11-15 turns it into converted on 11-11.
    scorer = IncrementalScorer()
    base = [
        buyer(t("2026-11-11 10:00:00")),
        agent(t("2026-11-11 10:00:05")),
        order("created", "o1", t("2026-11-11 11:00:00"), "50"),
    ]
    scorer.apply_batch(base)
    tick = buyer(t("2026-11-14 18:00:00"), b="b2", agent=None)
    scorer.apply_batch([tick])
    key = ("s1", "A", t("2026-11-11 00:00:00").date())
    p = scorer.totals.agent_days[key]
    assert (p.ordered_buyers, p.lost_inquiries, p.paid_buyers) == (1, 1, 0)
    paid = order("paid", "o1", t("2026-11-15 09:00:00"), "50")
    scorer.apply_batch([paid])
    p = scorer.totals.agent_days[key]
    assert (p.ordered_buyers, p.lost_inquiries, p.paid_buyers, p.sales_amount) == (
        1,
        0,
        1,
        Decimal(50),
    )
    assert scorer.totals == recompute([*base, tick, paid])


def test_unreplied_buyers_per_consultation_across_sessions() -> None:
    # Day 11-11: 10:00 buyer gets no reply (session 1), 15:00 buyer gets a reply (session 2):
    # one consultation, some buyer message has a later agent message -> replied.
    # Day 11-12: 10:00 buyer, never answered -> unreplied 1.
    f = derive(
        [
            buyer(t("2026-11-11 10:00:00")),
            buyer(t("2026-11-11 15:00:00")),
            agent(t("2026-11-11 15:00:10")),
            buyer(t("2026-11-12 10:00:00")),
        ],
        FAR,
    )
    d1, d2 = day_parts(f, "A", "2026-11-11"), day_parts(f, "A", "2026-11-12")
    assert (d1.consultations, d1.unreplied_buyers, d1.sessions) == (1, 0, 2)
    assert (d2.consultations, d2.unreplied_buyers) == (1, 1)


def test_agent_only_session_is_no_consultation() -> None:
    # The agent writes first and the buyer never answers: a session, no consultation.
    f = derive([agent(t("2026-11-11 10:00:00"))], FAR, b="b1")
    p = day_parts(f, "A", "2026-11-11")
    assert (p.sessions, p.consultations, p.agent_messages, p.buyer_messages) == (1, 0, 1, 0)
    assert agent_row(p)["answer_ratio"] is None  # zero buyer messages -> null
