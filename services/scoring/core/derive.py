"""The per-buyer entry point: everything SPEC §4-§6 says about one (shop, buyer).

Every number depends only on one buyer's timeline in one shop (its messages with all
agents and the orders it placed), the shop settings, the QA rules and the shop watermark,
so the shell re-derives a whole buyer from scratch whenever any of those change for it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from domain.business_hours import Openings
from domain.days import ZoneDays, zone, zone_days
from domain.qa_rules import QaRules
from domain.settings import ShopSettings

from .attribution import InquiryKey, attribute, finalize, touches
from .contributions import build
from .facts import BuyerFacts, Session
from .inquiries import Consultation, ConsultationDraft, Kind, classify, collect
from .model import ChatMessage, OrderEvent, ReviewEvent
from .orders import Order, fold_orders
from .qa import score_session
from .reminders import find_reminders
from .responses import Opens, find_questions
from .reviews import order_reviews
from .sessions import is_closed, split_sessions
from .timeline import by_agent, scoring_messages

_EVENT_ID = attrgetter("event_id")
_AGENT_ID = attrgetter("agent_id")
_SENDER = attrgetter("sender")
_PLACEMENT = attrgetter("placed_at", "order_id")


class Limits(NamedTuple):
    """A shop's settings the way derivation reads them, made once per settings value
    (every ShopSettings property access builds a new timedelta)."""

    days: ZoneDays  # instant -> local day in the shop's zone
    session_gap: timedelta
    attribution_window: timedelta
    aftersale_lookback: timedelta
    reminder_window: timedelta
    slow_reply_us: int
    opens: Opens  # business hours (SPEC §11): the next opening; None = always open


# id(settings) -> (settings, limits): a shop context's settings object is derived with
# thousands of times, and lru_cache would hash all its fields on every call. Holding the
# settings keeps the id from being reused (as qa._PLANS does for rules).
_LIMITS: dict[int, tuple[ShopSettings, Limits]] = {}


def _limits(s: ShopSettings) -> Limits:
    cached = _LIMITS.get(id(s))
    if cached is not None and cached[0] is s:
        return cached[1]
    lim = limits(s)
    if len(_LIMITS) >= 1024:
        _LIMITS.clear()
    _LIMITS[id(s)] = (s, lim)
    return lim


@lru_cache(maxsize=256)
def limits(s: ShopSettings) -> Limits:
    hours = s.business_hours
    return Limits(
        zone_days(s.timezone),
        s.session_gap,
        s.attribution_window,
        s.aftersale_lookback,
        s.reminder_window,
        s.slow_reply_us,
        None if hours is None else Openings(hours, zone(s.timezone)).__getitem__,
    )


def _identify(
    messages: Sequence[ChatMessage], order_events: Sequence[OrderEvent], buyer_id: str | None
) -> str:
    if buyer_id is not None:
        return buyer_id
    buyers = {m.buyer_id for m in messages} or {e.buyer_id for e in order_events}
    if len(buyers) != 1:
        raise ValueError(f"cannot tell which buyer to derive among {sorted(buyers)}; pass buyer_id")
    return buyers.pop()


def _shop(messages: Sequence[ChatMessage], order_events: Sequence[OrderEvent]) -> str:
    if messages:
        return messages[0].shop_id
    return order_events[0].shop_id if order_events else ""


def _session(span: list[ChatMessage], lim: Limits, rules: QaRules, watermark: datetime) -> Session:
    first, last = span[0], span[-1]
    assert first.agent_id is not None
    questions = find_questions(span, lim.days, lim.opens)
    closed = is_closed(last.sent_at, watermark, lim.session_gap)
    return Session(  # positional: agent_id, day, first_at, last_at, closed, message_ids,
        # buyer_messages, questions, qa (keywords cost a dict per session)
        first.agent_id,
        lim.days[first.sent_at],
        first.sent_at,
        last.sent_at,
        closed,
        tuple(map(_EVENT_ID, span)),
        list(map(_SENDER, span)).count("buyer"),
        questions,
        score_session(span, questions, rules, lim.slow_reply_us) if closed else None,
    )


def _spans(timeline: list[ChatMessage], gap: timedelta) -> list[list[ChatMessage]]:
    """Sessions' messages, agent by agent in code-point order, each in time order."""
    if not timeline:
        return []
    if timeline[0].agent_id == timeline[-1].agent_id and len(set(map(_AGENT_ID, timeline))) == 1:
        return split_sessions(timeline, gap)  # most buyers talk to one agent: no split
    spans: list[list[ChatMessage]] = []
    for _, messages in sorted(by_agent(timeline).items()):
        spans.extend(split_sessions(messages, gap))
    return spans


def _consultations(
    drafts: list[ConsultationDraft], orders: list[Order], lim: Limits, watermark: datetime
) -> list[Consultation]:
    """Classify, attribute orders to inquiries (setting Order.attributed), then settle
    every inquiry's status."""
    window = lim.attribution_window
    if not orders:  # no order: every consultation is an inquiry, and none is credited
        return [finalize(d, "presale", (), watermark, window) for d in drafts]
    kinds: dict[InquiryKey, Kind] = {
        (d.agent_id, d.day): classify(d.messages[0].sent_at, orders, lim.aftersale_lookback)
        if orders
        else "presale"
        for d in drafts
    }
    credited: dict[InquiryKey | None, list[Order]] = {}
    if orders:
        attribute(orders, touches(drafts, kinds), window)
        for o in orders:
            credited.setdefault(o.attributed, []).append(o)
    return [
        finalize(
            d, kinds[(d.agent_id, d.day)], credited.get((d.agent_id, d.day), []), watermark, window
        )
        for d in drafts
    ]


def wake_at(
    sessions: Sequence[Session], consultations: Sequence[Consultation], s: ShopSettings
) -> datetime | None:
    """Smallest watermark threshold past which (strictly) these facts would change.

    Only two facts depend on the watermark: a session closing (then QA-scored) and a
    pending inquiry becoming lost. Both flip when watermark > instant + span.
    """
    return _wake_at(sessions, consultations, _limits(s))


def _wake_at(
    sessions: Sequence[Session], consultations: Sequence[Consultation], lim: Limits
) -> datetime | None:
    gap, window = lim.session_gap, lim.attribution_window
    instants = [x.last_at + gap for x in sessions if not x.closed]
    instants += [
        c.last_buyer_at + window
        for c in consultations
        if c.kind == "presale" and not c.converted and not c.lost  # pending inquiries
    ]
    return min(instants) if instants else None


def derive_buyer(
    messages: Sequence[ChatMessage],
    order_events: Sequence[OrderEvent],
    settings: ShopSettings,
    rules: QaRules,
    watermark: datetime,
    buyer_id: str | None = None,
    *,
    reviews: Sequence[ReviewEvent] = (),
    agents: Collection[str] = (),
) -> BuyerFacts:
    """All facts and rollup contributions of one buyer of one shop.

    `messages`: the buyer's chat messages (any sender; duplicates allowed).
    `order_events`: every event of every order touching the buyer; orders whose placing
    event belongs to another buyer are ignored. `buyer_id` is inferred from the messages
    when omitted -- pass it when the buyer may have no messages.
    `reviews`: review.posted events of (at least) the buyer's orders; others are ignored.
    `agents`: the shop's agents (agent_ids on its valid chat messages), whom good reviews
    may name (SPEC §11).
    """
    lim = _limits(settings)
    buyer = _identify(messages, order_events, buyer_id)
    timeline = scoring_messages(messages, buyer)
    orders: list[Order] = []
    if order_events:
        placed = fold_orders(order_events, settings.timezone).values()
        orders = sorted([o for o in placed if o.buyer_id == buyer], key=_PLACEMENT)
    spans = _spans(timeline, lim.session_gap)
    sessions = [_session(span, lim, rules, watermark) for span in spans]
    consultations = _consultations(collect(spans, lim.days), orders, lim, watermark)
    reminders = find_reminders(orders, timeline, lim.reminder_window, lim.days) if orders else []
    reviewed = (
        order_reviews(orders, reviews, agents, lim.days, lim.aftersale_lookback)
        if reviews and orders
        else []
    )
    parts = build(
        timeline,
        sessions,
        consultations,
        orders,
        reminders,
        days=lim.days,
        slow_reply_us=lim.slow_reply_us,
        reviews=reviewed,
    )
    return BuyerFacts(  # positional, in field order (see _session)
        _shop(messages, order_events),
        buyer,
        tuple(sessions),
        tuple(consultations),
        tuple(orders),
        tuple(reminders),
        parts.agent_days,
        parts.shop_days,
        _wake_at(sessions, consultations, lim),
        tuple(reviewed),
        parts.spreads,
    )
