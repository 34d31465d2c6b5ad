"""evaluate_after_batch against a real migrated Postgres, with rollups written directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.violations import BuyerViolations, ViolationNotice, ViolationReport
from services.alerts import evaluate_after_batch
from shared.schema import agent_daily, alert_rules, shops, webhook_deliveries, webhook_events

SHOP = "shop-alerts"
# 2026-11-11 12:00 in Shanghai; "today" is 2026-11-11 there whatever the wall clock says.
WATERMARK = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 11)
T0 = datetime(2030, 1, 1, tzinfo=UTC)  # the batches' wall clock (cooldowns)


async def _shop(conn: AsyncConnection, shop_id: str = SHOP) -> None:
    await conn.execute(insert(shops).values(shop_id=shop_id, name=shop_id, watermark=WATERMARK))
    await conn.execute(
        text(
            "INSERT INTO webhook_subscriptions (shop_id, subscription_id, url, event_types, "
            "secret) VALUES (:s, 'sub1', 'https://example.com/hook', "
            '\'["alert.breached", "alert.resolved", "qa.violation"]\', \'whsec_AAAA\')'
        ),
        {"s": shop_id},
    )


async def _rule(conn: AsyncConnection, rule_id: str, **overrides: Any) -> None:
    values: dict[str, Any] = {
        "shop_id": SHOP,
        "rule_id": rule_id,
        "scope": "agent",
        "metric": "inquiry_conversion_rate",
        "comparison": "lt",
        "threshold": Decimal("0.5"),
        "time_window": "today",
        "min_sample": 4,
        "cooldown_seconds": 3600,
    }
    await conn.execute(insert(alert_rules).values({**values, **overrides}))


async def _day(conn: AsyncConnection, agent: str, day: date, **parts: int) -> None:
    await conn.execute(
        insert(agent_daily)
        .values(shop_id=SHOP, agent_id=agent, day=day, **parts)
        .on_conflict_do_update(index_elements=["shop_id", "day", "agent_id"], set_=parts)
    )


async def _events(conn: AsyncConnection) -> list[tuple[str, dict[str, Any]]]:
    rows = await conn.execute(
        select(webhook_events.c.type, webhook_events.c.data)
        .where(webhook_events.c.shop_id == SHOP)
        .order_by(webhook_events.c.created_at, webhook_events.c.event_id)
    )
    return [(r.type, r.data) for r in rows]


async def _run(
    conn: AsyncConnection,
    changed: set[tuple[str, date]],
    now: datetime = T0,
    violations: list[ViolationNotice] | None = None,
) -> int:
    return await evaluate_after_batch(
        session=conn,
        shop_id=SHOP,
        changed_agent_days=changed,
        violations=ViolationReport((BuyerViolations.of("b1", tuple(violations or ())),)),
        now=now,
    )


async def test_breach_then_resolve_is_edge_triggered(db: AsyncConnection) -> None:
    await _shop(db)
    await _rule(db, "conv")
    a1 = {("a1", TODAY)}
    await _day(db, "a1", TODAY, inquiries=4, paid_buyers=3)
    assert await _run(db, a1) == 0
    await _day(db, "a1", TODAY, inquiries=6, paid_buyers=3)  # 0.5: not below
    assert await _run(db, a1) == 0
    await _day(db, "a1", TODAY, inquiries=8, paid_buyers=3)  # 0.375
    assert await _run(db, a1, T0 + timedelta(minutes=1)) == 1
    assert await _run(db, a1, T0 + timedelta(minutes=2)) == 0  # still breached: no repeat
    await _day(db, "a1", TODAY, inquiries=9, paid_buyers=3)
    assert await _run(db, a1, T0 + timedelta(minutes=3)) == 0
    await _day(db, "a1", TODAY, inquiries=9, paid_buyers=5)  # 0.556: recovered
    assert await _run(db, a1, T0 + timedelta(minutes=4)) == 1
    assert await _run(db, a1, T0 + timedelta(minutes=5)) == 0
    events = await _events(db)
    assert [t for t, _ in events] == ["alert.breached", "alert.resolved"]
    breached = events[0][1]
    assert breached["agent_id"] == "a1" and breached["value"] == pytest.approx(0.375)
    assert breached["sample"] == 8 and breached["sample_metric"] == "inquiries"
    assert (breached["from"], breached["to"]) == ("2026-11-11", "2026-11-11")
    deliveries = await db.execute(
        select(webhook_deliveries.c.status).where(webhook_deliveries.c.shop_id == SHOP)
    )
    assert [r.status for r in deliveries] == ["pending", "pending"]


async def test_min_sample_is_respected(db: AsyncConnection) -> None:
    await _shop(db)
    await _rule(db, "conv")
    await _day(db, "a2", TODAY, inquiries=3, paid_buyers=0)  # 0 %, but only 3 inquiries
    assert await _run(db, {("a2", TODAY)}) == 0
    await _day(db, "a2", TODAY, inquiries=4, paid_buyers=0)
    assert await _run(db, {("a2", TODAY)}) == 1


async def test_cooldown_suppresses_a_second_breach(db: AsyncConnection) -> None:
    await _shop(db)
    await _rule(db, "conv", cooldown_seconds=3600)
    a1 = {("a1", TODAY)}
    await _day(db, "a1", TODAY, inquiries=10, paid_buyers=1)
    assert await _run(db, a1, T0) == 1
    await _day(db, "a1", TODAY, inquiries=10, paid_buyers=9)
    assert await _run(db, a1, T0 + timedelta(minutes=10)) == 1  # resolved
    await _day(db, "a1", TODAY, inquiries=10, paid_buyers=1)
    assert await _run(db, a1, T0 + timedelta(minutes=20)) == 0  # within cooldown
    assert await _run(db, a1, T0 + timedelta(minutes=59)) == 0
    assert await _run(db, a1, T0 + timedelta(minutes=61)) == 1  # announced once it is over
    assert [t for t, _ in await _events(db)] == [
        "alert.breached",
        "alert.resolved",
        "alert.breached",
    ]


async def test_window_counts_back_from_the_watermark_day(db: AsyncConnection) -> None:
    await _shop(db)
    await _rule(db, "week", time_window="last_7_days", min_sample=10)
    # 8 days before the watermark day: outside last_7_days.
    await _day(db, "a1", TODAY - timedelta(days=7), inquiries=20, paid_buyers=0)
    await _day(db, "a1", TODAY - timedelta(days=6), inquiries=6, paid_buyers=3)
    assert await _run(db, {("a1", TODAY - timedelta(days=6))}) == 0  # 6 < min sample
    await _day(db, "a1", TODAY, inquiries=6, paid_buyers=1)  # 4/12 over the window
    assert await _run(db, {("a1", TODAY)}) == 1
    ((_, data),) = await _events(db)
    assert data["sample"] == 12 and (data["from"], data["to"]) == ("2026-11-05", "2026-11-11")


async def test_shop_scope_and_single_agent_rules(db: AsyncConnection) -> None:
    await _shop(db)
    await _rule(db, "shop-conv", scope="shop", min_sample=10)
    await _rule(db, "only-a3", agent_id="a3", min_sample=1)
    await _day(db, "a1", TODAY, inquiries=6, paid_buyers=1)
    await _day(db, "a2", TODAY, inquiries=6, paid_buyers=6)
    assert await _run(db, {("a1", TODAY), ("a2", TODAY)}) == 0  # 7/12 for the shop
    await _day(db, "a2", TODAY, inquiries=6, paid_buyers=2)
    assert await _run(db, {("a2", TODAY)}) == 1  # shop: 3/12
    ((_, data),) = await _events(db)
    assert data["scope"] == "shop" and data["agent_id"] is None


def _violation(notify: bool, message: str = "m1") -> ViolationNotice:
    return ViolationNotice(
        agent_id="a1",
        buyer_id="b1",
        session_started_at=WATERMARK,
        day=TODAY,
        rule="forbidden_words",
        message_event_id=message,
        occurrence=1,
        penalty=10,
        notify=notify,
        detail="滚",
    )


async def test_forbidden_word_with_notify_yields_one_qa_violation(db: AsyncConnection) -> None:
    await _shop(db)
    assert await _run(db, set(), violations=[_violation(True)]) == 1
    # The same violation re-derived (a late event re-scores the session): not again.
    assert await _run(db, set(), violations=[_violation(True)]) == 0
    assert await _run(db, set(), violations=[_violation(True), _violation(False, "m2")]) == 0
    ((kind, data),) = await _events(db)
    assert kind == "qa.violation"
    assert data["rule"] == "forbidden_words" and data["detail"] == "滚"
    assert data["message_event_id"] == "m1" and data["agent_id"] == "a1"
    assert data["occurrence"] == 1


async def _event_ids(conn: AsyncConnection) -> list[tuple[str, str]]:
    rows = await conn.execute(
        select(webhook_events.c.type, webhook_events.c.event_id)
        .where(webhook_events.c.shop_id == SHOP)
        .order_by(webhook_events.c.created_at, webhook_events.c.event_id)
    )
    return [(r.type, r.event_id) for r in rows]


async def test_a_violation_gone_is_withdrawn_once_and_new_if_it_returns(
    db: AsyncConnection,
) -> None:
    await _shop(db)
    assert await _run(db, set(), violations=[_violation(True)]) == 1
    # Its session reopened by a late message: not judged yet, so not withdrawn.
    pending = ViolationReport((BuyerViolations.of("b1", (), frozenset({"m1"})),))
    assert (
        await evaluate_after_batch(
            session=db, shop_id=SHOP, changed_agent_days=set(), violations=pending, now=T0
        )
        == 0
    )
    later = [T0 + timedelta(minutes=n) for n in (1, 2, 3)]
    assert await _run(db, set(), later[0], violations=[]) == 1  # re-scored without it
    assert await _run(db, set(), later[1], violations=[]) == 0  # withdrawn once
    assert await _run(db, set(), later[2], violations=[_violation(True)]) == 1  # a new one
    (t1, first), (t2, withdrawn), (t3, again) = await _event_ids(db)
    assert (t1, t2, t3) == ("qa.violation", "qa.violation.withdrawn", "qa.violation")
    assert len({first, withdrawn, again}) == 3
    (_, data), (_, wdata), _ = await _events(db)
    assert wdata == data  # the withdrawal carries the notified violation's identity


async def test_rolled_back_batch_queues_nothing(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(shops).values(shop_id="shop-rb", name="rb", watermark=WATERMARK))
    async with engine.connect() as conn:
        tx = await conn.begin()
        await conn.execute(
            insert(alert_rules).values(
                shop_id="shop-rb",
                rule_id="r",
                scope="agent",
                metric="inquiries",
                comparison="gte",
                threshold=1,
                time_window="today",
                min_sample=0,
            )
        )
        await conn.execute(
            insert(agent_daily).values(shop_id="shop-rb", agent_id="a1", day=TODAY, inquiries=3)
        )
        notice = _violation(True)
        queued = await evaluate_after_batch(
            session=conn,
            shop_id="shop-rb",
            changed_agent_days={("a1", TODAY)},
            violations=ViolationReport((BuyerViolations.of("b1", (notice,)),)),
            now=T0,
        )
        assert queued == 2
        await tx.rollback()
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(text("count(*)"))
            .select_from(webhook_events)
            .where(webhook_events.c.shop_id == "shop-rb")
        )
        assert count == 0


async def test_an_alert_on_the_p90_response_time(db: AsyncConnection) -> None:
    # SPEC §11 percentiles in alerts: p90 > 60 s over at least 5 responses, last 7 days.
    # a1 yesterday {10, 20, 30} s and today {40, 90} s: merged n = 5, p90 = ⌈4.5⌉ = 5th
    # = 90 s > 60 -> breached, with the value /v1/metrics shows (90.0).
    from domain.spread import encode
    from shared.schema import agent_responses

    await _shop(db)
    await _rule(
        db,
        "p90",
        metric="p90_response_seconds",
        comparison="gt",
        threshold=Decimal("60"),
        time_window="last_7_days",
        min_sample=5,
    )
    s = 1_000_000
    yesterday = TODAY - timedelta(days=1)
    for day, values in ((yesterday, [10 * s, 20 * s, 30 * s]), (TODAY, [40 * s, 90 * s])):
        await _day(db, "a1", day, responses=len(values), response_us_sum=sum(values))
        await db.execute(
            insert(agent_responses).values(
                shop_id=SHOP,
                agent_id="a1",
                day=day,
                response_us=encode(values),
                first_response_us=encode([]),
            )
        )
    assert await _run(db, {("a1", TODAY)}) == 1
    ((kind, data),) = await _events(db)
    assert kind == "alert.breached" and data["value"] == 90.0 and data["sample"] == 5
    assert data["sample_metric"] == "responses"


async def test_review_bad_once_per_review_and_withdrawn_when_no_longer_bad(
    db: AsyncConnection,
) -> None:
    """SPEC §11: review.bad once per order and review event, whatever the re-derivations;
    review.bad.withdrawn once a later review is not bad, only for notified bad reviews."""
    from domain.review_notices import ReviewNotice
    from services.scoring.core import ReviewEvent
    from services.scoring.derivation import review_notices
    from tests.scoring.recompute import derive_all
    from tests.scoring.scoring_builders import agent, buyer, order, t

    await _shop(db)
    await db.execute(
        text(
            "UPDATE webhook_subscriptions SET event_types = "
            '\'["review.bad", "review.bad.withdrawn"]\' WHERE shop_id = :s'
        ),
        {"s": SHOP},
    )
    chat_and_order = [
        buyer(t("2026-11-11 10:00:00"), "s:小美"),
        agent(t("2026-11-11 10:00:10"), "s:小美"),
        order("created", "T1", t("2026-11-11 11:00:00"), "100"),
    ]

    def review(eid: str, at: str, rating: str) -> ReviewEvent:
        return ReviewEvent(
            "s1", eid, "T1", "b1", t(at), rating, "差" if rating == "bad" else "好", 1, None, None
        )  # type: ignore[arg-type]

    def notices(*reviews: ReviewEvent) -> list[ReviewNotice]:
        facts = derive_all([*chat_and_order, *reviews])[("s1", "b1")]
        return review_notices("b1", facts)

    async def run(found: list[ReviewNotice]) -> int:
        return await evaluate_after_batch(
            session=db,
            shop_id=SHOP,
            changed_agent_days=set(),
            violations=ViolationReport(),
            now=T0,
            review_notices=found,
        )

    bad = review("r1", "2026-11-14 20:00:00", "bad")
    # A good review posted earlier but arriving later changes nothing: r1 stays the review.
    early_good = review("r0", "2026-11-13 20:00:00", "good")
    changed = review("r2", "2026-11-15 09:00:00", "good")
    assert await run(notices(bad)) == 1
    assert await run(notices(bad)) == 0  # re-derived: not sent again
    assert await run(notices(bad, early_good)) == 0
    assert await run(notices(bad, early_good, changed)) == 1  # withdrawn
    assert await run(notices(bad, early_good, changed)) == 0
    events = await _events(db)
    assert [kind for kind, _ in events] == ["review.bad", "review.bad.withdrawn"]
    sent, withdrawn = events[0][1], events[1][1]
    assert sent["order_id"] == "T1" and sent["agent_id"] == "s:小美"
    assert sent["review"] == {
        "event_id": "r1",
        "posted_at": t("2026-11-14 20:00:00").isoformat(),
        "day": "2026-11-14",
        "rating": "bad",
        "text": "差",
        "dsr": {"item": 1},
    }
    # The transcript from aftersale_lookback (15 days) before placement to the review.
    assert sent["transcript"] == "/v1/buyers/b1/transcript?from=2026-10-27&to=2026-11-14"
    assert withdrawn["withdrawn_review_event_id"] == "r1"
    assert withdrawn["review"]["event_id"] == "r2" and withdrawn["review"]["rating"] == "good"
    # A bad review that never was the order's review (a later one was there) is never sent,
    # so never withdrawn.
    late_bad = review("r1b", "2026-11-14 21:00:00", "bad")
    assert await run(notices(bad, early_good, changed, late_bad)) == 0
    deliveries = await db.scalar(
        select(text("count(*)"))
        .select_from(webhook_deliveries)
        .where(webhook_deliveries.c.shop_id == SHOP)
    )
    assert deliveries == 2
