"""Order folding, payment reminders, shop-level numbers (SPEC §2, §4, §5)."""

from datetime import timedelta
from decimal import Decimal

from domain.metrics import shop_row
from domain.settings import ShopSettings
from services.scoring.core import fold_orders, order_buyers, order_event_buyers
from tests.scoring.recompute import recompute
from tests.scoring.scoring_builders import FAR, agent, buyer, day_parts, derive, order, t

US = timedelta(microseconds=1)
P = t("2026-11-11 10:00:00")  # placement instant used throughout


def test_order_placed_by_paid_without_created_and_late_created() -> None:
    paid = order("paid", "o1", P, "199")
    o = fold_orders([paid], "Asia/Shanghai")["o1"]
    assert (o.placed_at, o.placed_by, o.paid_at, o.paid_amount) == (
        P,
        "order.paid",
        P,
        Decimal(199),
    )
    # A late order.created (earlier) takes over placement; paid amount is unchanged.
    created = order("created", "o1", P - timedelta(hours=1), "199")
    o = fold_orders([paid, created], "Asia/Shanghai")["o1"]
    assert (o.placed_at, o.placed_by, o.paid_amount) == (
        P - timedelta(hours=1),
        "order.created",
        Decimal(199),
    )


def test_order_never_placed_counts_nowhere() -> None:
    # Only cancelled + refunded events: no order, no shop row, no refund anywhere.
    f = derive(
        [
            buyer(P - timedelta(hours=1)),
            order("cancelled", "o1", P),
            order("refunded", "o1", P, "10"),
        ],
        FAR,
    )
    assert f.orders == () and f.shop_days == {}
    assert day_parts(f, "A", "2026-11-11").refund_amount == 0
    assert order_buyers([order("refunded", "o9", P, "1")]) == {}


def test_order_belongs_to_the_buyer_of_its_placing_event() -> None:
    # o1 created by b2; its payment event names b1. It counts for b2 only.
    ev = [
        order("created", "o1", P, "10", b="b2"),
        order("paid", "o1", P + US, "10", b="b1"),
        buyer(P - timedelta(minutes=5), b="b1"),
    ]
    assert order_buyers(ev[:2]) == {"o1": "b2"}
    assert order_event_buyers(ev[:2]) == {"o1": {"b1", "b2"}}
    f1 = derive(ev, FAR, b="b1")
    assert f1.orders == () and day_parts(f1, "A", "2026-11-11").ordered_buyers == 0
    f2 = derive(ev, FAR, b="b2")
    assert [o.order_id for o in f2.orders] == ["o1"] and f2.orders[0].silent


def test_shop_level_silent_orders_and_cs_sales_share() -> None:
    # b1: inquiry + order paid 100 (attributed). b2: no chat, order paid 50 (silent).
    # b3: order created then cancelled (placed, silent, unpaid).
    # placed 3, paid_orders_total 2, sales_total 150, silent 2, silent_sales 50,
    # cs_sales_share = (150 - 50) / 150 = 2/3.
    totals = recompute(
        [
            buyer(P - timedelta(hours=1), b="b1"),
            order("created", "o1", P, "100", b="b1"),
            order("paid", "o1", P, "100", b="b1"),
            order("paid", "o2", P, "50", b="b2"),
            order("created", "o3", P, "70", b="b3"),
            order("cancelled", "o3", P + US, b="b3"),
        ]
    )
    r = shop_row(totals.shop_days[("s1", P.date())])
    assert r == {
        "placed_orders": 3,
        "paid_orders_total": 2,
        "sales_total": "150.00",
        "silent_orders": 2,
        "silent_sales": "50.00",
        "cs_sales_share": 2 / 3,
        # SPEC §11: no review that day
        "reviews_total": 0,
        "bad_reviews_total": 0,
        "bad_review_rate_total": None,
        "avg_dsr_item": None,
        "avg_dsr_service": None,
        "avg_dsr_logistics": None,
    }


def _reminders(*events, settings=None):  # type: ignore[no-untyped-def]
    return derive(list(events), FAR, settings=settings).reminders


def test_reminder_strict_bounds_and_window() -> None:
    created = order("created", "o1", P, "10")
    # A message at exactly `placed` is not after it (strict).
    assert _reminders(created, agent(P)) == ()
    # 1 µs later it is; the order is never paid -> not successful.
    (r,) = _reminders(created, agent(P + US))
    assert (r.agent_id, r.successful, r.day) == ("A", False, P.date())
    # m - placed <= 24 h inclusive; 1 µs more is outside.
    assert len(_reminders(created, agent(P + timedelta(hours=24)))) == 1
    assert _reminders(created, agent(P + timedelta(hours=24) + US)) == ()
    # A message exactly at payment or at cancellation is not before it (strict).
    assert _reminders(created, order("paid", "o1", P + US, "10"), agent(P + US)) == ()
    assert _reminders(created, order("cancelled", "o1", P + US), agent(P + US)) == ()


def test_reminder_first_message_ties_and_success() -> None:
    # A writes at +10 min, then at the same instant +5 min both "a" and "B" write: the first
    # qualifying message is at +5 min and the tie goes to "B". Paid at +1 h -> successful.
    at = P + timedelta(minutes=5)
    (r,) = _reminders(
        order("created", "o1", P, "10"),
        order("paid", "o1", P + timedelta(hours=1), "10"),
        agent(P + timedelta(minutes=10), agent="A"),
        agent(at, agent="a", eid="x1"),
        agent(at, agent="B", eid="x2"),
    )
    assert (r.agent_id, r.message_event_id, r.successful) == ("B", "x2", True)


def test_reminder_counts_on_message_day_and_rate() -> None:
    # Placed 11-11 23:50, reminded 11-12 00:10 by A, paid later: counts on 11-12.
    placed = t("2026-11-11 23:50:00")
    f = derive(
        [
            order("created", "o1", placed, "10"),
            agent(t("2026-11-12 00:10:00")),
            order("paid", "o1", t("2026-11-12 08:00:00"), "10"),
        ],
        FAR,
    )
    p = day_parts(f, "A", "2026-11-12")
    assert (p.reminded_orders, p.reminder_successes) == (1, 1)
    assert day_parts(f, "A", "2026-11-11").reminded_orders == 0


def test_order_placed_by_paid_is_never_reminded() -> None:
    # Placed by its order.paid: a message after it finds nothing to remind.
    assert _reminders(order("paid", "o1", P, "10"), agent(P + US)) == ()


def test_reminder_window_setting() -> None:
    s = ShopSettings.from_dict({"reminder_window_seconds": 60})
    created = order("created", "o1", P, "10")
    assert len(_reminders(created, agent(P + timedelta(seconds=60)), settings=s)) == 1
    assert _reminders(created, agent(P + timedelta(seconds=60) + US), settings=s) == ()
