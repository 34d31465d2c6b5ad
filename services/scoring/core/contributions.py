"""Turning one buyer's facts into additive rollup parts, diffing them, and JSON.

The day each number counts on follows SPEC §5: messages on their own day, sessions and QA
on the session's day, responses on their question's day, everything about an inquiry on
the inquiry's day, reminders on the reminding message's day, shop numbers on the order's
placement day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from domain.parts import AgentDayParts, ShopDayParts
from domain.qa_rules import RULES
from domain.spread import ResponseTimes

from .facts import AgentDays, Contributions, Session, ShopDays, Spreads
from .inquiries import Consultation
from .model import ChatMessage
from .orders import Order
from .reminders import Reminder
from .reviews import OrderReview

_VIOLATION_FIELDS = {rule: f"v_{rule}" for rule in RULES}


def _at(rows: AgentDays, agent_id: str, day: date) -> AgentDayParts:
    parts = rows.get((agent_id, day))
    if parts is None:
        parts = rows[(agent_id, day)] = AgentDayParts()
    return parts


def _add_messages(
    rows: AgentDays, messages: Iterable[ChatMessage], days: Mapping[datetime, date]
) -> None:
    for m in messages:
        assert m.agent_id is not None
        key = (m.agent_id, days[m.sent_at])
        parts = rows.get(key)  # _at inlined: this runs for every message
        if parts is None:
            parts = rows[key] = AgentDayParts()
        if m.sender == "buyer":
            parts.buyer_messages += 1
        else:
            parts.agent_messages += 1


def _add_session(rows: AgentDays, spreads: Spreads, s: Session, slow_reply_us: int) -> None:
    agent = s.agent_id
    _at(rows, agent, s.day).sessions += 1
    day = parts = times = None  # of the question before: a session's are mostly one day's
    for q in s.questions:
        us = q.response_us
        if us is None:
            continue
        if q.day != day or parts is None or times is None:
            day = q.day
            parts = _at(rows, agent, day)
            times = spreads.get((agent, day))
            if times is None:
                times = spreads[(agent, day)] = ResponseTimes()
        times.add(us, first=q.first)
        parts.responses += 1
        parts.response_us_sum += us
        parts.slow_responses += us > slow_reply_us
        if q.first:
            parts.first_responses += 1
            parts.first_response_us_sum += us
    if s.qa is not None:
        parts = _at(rows, agent, s.day)
        parts.qa_sessions += 1
        parts.qa_score_sum += s.qa.score
        for v in s.qa.violations:
            field = _VIOLATION_FIELDS[v.rule]
            setattr(parts, field, getattr(parts, field) + v.count)


def _add_consultation(rows: AgentDays, c: Consultation, orders: Mapping[str, Order]) -> None:
    parts = _at(rows, c.agent_id, c.day)
    parts.consultations += 1
    parts.unreplied_buyers += not c.replied
    if not c.is_inquiry:
        # classify() already lets after-sale win when both hold (SPEC §11).
        if c.kind == "aftersale":
            parts.aftersale_consultations += 1
        else:
            parts.midsale_consultations += 1
        return
    parts.inquiries += 1
    parts.ordered_buyers += c.ordered
    parts.paid_buyers += c.converted
    parts.lost_inquiries += c.lost
    for oid in c.order_ids:
        order = orders[oid]
        parts.refund_amount += order.refund_amount
        if order.paid:
            parts.paid_orders += 1
            parts.sales_amount += order.paid_amount


def _add_reminder(rows: AgentDays, r: Reminder) -> None:
    parts = _at(rows, r.agent_id, r.day)
    parts.reminded_orders += 1
    parts.reminder_successes += r.successful


_RATING_FIELDS = {"good": "good_reviews", "neutral": "neutral_reviews", "bad": "bad_reviews"}


def _add_review(rows: AgentDays, shop: ShopDays, r: OrderReview) -> None:
    """SPEC §11, all on the review's posted_at day: the shop's review and DSR numbers, the
    service agent's reviews by rating, a mention for every agent the good review names."""
    parts = shop.get(r.day)
    if parts is None:
        parts = shop[r.day] = ShopDayParts()
    parts.reviews_total += 1
    parts.bad_reviews_total += r.rating == "bad"
    if r.dsr_item is not None:
        parts.dsr_item_sum += r.dsr_item
        parts.dsr_item_count += 1
    if r.dsr_service is not None:
        parts.dsr_service_sum += r.dsr_service
        parts.dsr_service_count += 1
    if r.dsr_logistics is not None:
        parts.dsr_logistics_sum += r.dsr_logistics
        parts.dsr_logistics_count += 1
    if r.service_agent is not None:
        served = _at(rows, r.service_agent, r.day)
        served.reviews += 1
        field = _RATING_FIELDS[r.rating]
        setattr(served, field, getattr(served, field) + 1)
    for agent in r.mentions:
        _at(rows, agent, r.day).review_mentions += 1


def _shop_days(orders: Iterable[Order]) -> ShopDays:
    rows: ShopDays = {}
    for o in orders:
        parts = rows.setdefault(o.day, ShopDayParts())
        parts.placed_orders += 1
        parts.silent_orders += o.silent
        if o.paid:
            parts.paid_orders_total += 1
            parts.sales_total += o.paid_amount
            if o.silent:
                parts.silent_sales += o.paid_amount
    return rows


def build(
    messages: Sequence[ChatMessage],
    sessions: Sequence[Session],
    consultations: Sequence[Consultation],
    orders: Sequence[Order],
    reminders: Sequence[Reminder],
    *,
    days: Mapping[datetime, date],
    slow_reply_us: int,
    reviews: Sequence[OrderReview] = (),
) -> Contributions:
    """All of one buyer's parts. `messages` are the counting (buyer/agent) messages;
    `days`: instant -> local day (days.zone_days of the shop's zone).

    No row is ever zero: every row is made for a count it then increments (a message, a
    session, a response, a consultation, a reminder, a placed order), so unlike a diff
    nothing needs filtering (a review adds to reviews_total).
    """
    rows: AgentDays = {}
    spreads: Spreads = {}
    _add_messages(rows, messages, days)
    for s in sessions:
        _add_session(rows, spreads, s, slow_reply_us)
    if consultations:
        by_id = {o.order_id: o for o in orders}
        for c in consultations:
            _add_consultation(rows, c, by_id)
    for r in reminders:
        _add_reminder(rows, r)
    shop = _shop_days(orders) if orders else {}
    for review in reviews:
        _add_review(rows, shop, review)
    return Contributions(rows, shop, spreads)


class _HasParts(Protocol):
    @property
    def agent_days(self) -> AgentDays: ...
    @property
    def shop_days(self) -> ShopDays: ...
    @property
    def spreads(self) -> Spreads: ...


K = TypeVar("K")
P = TypeVar("P", AgentDayParts, ShopDayParts, ResponseTimes)


def _nonzero(rows: Mapping[K, P]) -> dict[K, P]:
    return {k: v for k, v in rows.items() if not v.is_zero()}


def _diff(new: Mapping[K, P], old: Mapping[K, P], zero: P) -> dict[K, P]:
    return _nonzero({k: new.get(k, zero) - old.get(k, zero) for k in new.keys() | old.keys()})


def diff(new: _HasParts, old: _HasParts | None) -> Contributions:
    """new - old, row by row, zero rows dropped: what to add to the running totals."""
    before = old or Contributions()
    if not before.agent_days and not before.shop_days and not before.spreads:
        # a first derivation: new itself
        return Contributions(
            _nonzero(new.agent_days), _nonzero(new.shop_days), _nonzero(new.spreads)
        )
    return Contributions(
        _diff(new.agent_days, before.agent_days, AgentDayParts()),
        _diff(new.shop_days, before.shop_days, ShopDayParts()),
        _diff(new.spreads, before.spreads, ResponseTimes()),
    )


def spreads_to_json(spreads: Spreads) -> list[dict[str, Any]]:
    """[{agent_id, day, r: [µs...], f: [µs...]}] sorted by (agent_id, day)."""
    return [
        {"agent_id": agent, "day": day.isoformat(), **times.to_json()}
        for (agent, day), times in sorted(spreads.items())
    ]


def contributions_to_json(facts: _HasParts) -> dict[str, Any]:
    """{"agent_days": [{agent_id, day, <parts>}], "shop_days": [{day, <parts>}],
    "spreads": [{agent_id, day, r, f}]}, sorted."""
    return {
        "agent_days": [
            {"agent_id": agent, "day": day.isoformat(), **parts.to_json()}
            for (agent, day), parts in sorted(facts.agent_days.items())
        ],
        "shop_days": [
            {"day": day.isoformat(), **parts.to_json()}
            for day, parts in sorted(facts.shop_days.items())
        ],
        "spreads": spreads_to_json(facts.spreads),
    }


def contributions_from_json(data: Mapping[str, Any]) -> Contributions:
    agent_days = {
        (row["agent_id"], date.fromisoformat(row["day"])): AgentDayParts.from_json(row)
        for row in data.get("agent_days", [])
    }
    shop_days = {
        date.fromisoformat(row["day"]): ShopDayParts.from_json(row)
        for row in data.get("shop_days", [])
    }
    # Stored before SPEC §11 had percentiles: no "spreads" (a re-derivation adds them all).
    spreads = {
        (row["agent_id"], date.fromisoformat(row["day"])): ResponseTimes.from_json(row)
        for row in data.get("spreads", [])
    }
    return Contributions(agent_days, shop_days, spreads)
