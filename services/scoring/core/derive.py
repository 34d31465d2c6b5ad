"""The per-buyer entry point: everything SPEC §4-§6 says about one (shop, buyer).

Every number depends only on one buyer's timeline in one shop (its messages with all
agents and the orders it placed), the shop settings, the QA rules and the shop watermark,
so the shell re-derives a whole buyer from scratch whenever any of those change for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from .attribution import InquiryKey, attribute, finalize, touches
from .contributions import build
from .days import local_day
from .facts import BuyerFacts, Session
from .inquiries import Consultation, ConsultationDraft, Kind, classify, collect
from .model import ChatMessage, OrderEvent
from .orders import Order, fold_orders
from .qa import score_session
from .qa_rules import QaRules
from .reminders import find_reminders
from .responses import find_questions
from .sessions import is_closed, replied_flags, split_sessions
from .settings import ShopSettings
from .timeline import by_agent, scoring_messages


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
    shops = [m.shop_id for m in messages] + [e.shop_id for e in order_events]
    return shops[0] if shops else ""


def _session(
    span: list[ChatMessage], s: ShopSettings, rules: QaRules, watermark: datetime
) -> Session:
    assert span[0].agent_id is not None
    questions = find_questions(span, s.timezone)
    closed = is_closed(span[-1].sent_at, watermark, s.session_gap)
    return Session(
        agent_id=span[0].agent_id,
        day=local_day(span[0].sent_at, s.timezone),
        first_at=span[0].sent_at,
        last_at=span[-1].sent_at,
        closed=closed,
        message_ids=tuple(m.event_id for m in span),
        questions=questions,
        qa=score_session(span, questions, rules, s.slow_reply_us) if closed else None,
    )


def _spans(timeline: list[ChatMessage], s: ShopSettings) -> list[list[ChatMessage]]:
    """Sessions' messages, agent by agent in code-point order, each in time order."""
    spans: list[list[ChatMessage]] = []
    for _, messages in sorted(by_agent(timeline).items()):
        spans.extend(split_sessions(messages, s.session_gap))
    return spans


def _consultations(
    drafts: list[ConsultationDraft], orders: list[Order], s: ShopSettings, watermark: datetime
) -> tuple[list[Consultation], list[Order]]:
    """Classify, attribute orders to inquiries, then settle every inquiry's status."""
    kinds: dict[InquiryKey, Kind] = {
        (d.agent_id, d.day): classify(d.messages[0].sent_at, orders, s.aftersale_lookback)
        for d in drafts
    }
    credit = attribute(orders, touches(drafts, kinds), s.attribution_window)
    orders = [replace(o, attributed=credit[o.order_id]) for o in orders]
    consultations = [
        finalize(
            d,
            kinds[(d.agent_id, d.day)],
            [o for o in orders if o.attributed == (d.agent_id, d.day)],
            watermark,
            s.attribution_window,
        )
        for d in drafts
    ]
    return consultations, orders


def wake_at(
    sessions: Sequence[Session], consultations: Sequence[Consultation], s: ShopSettings
) -> datetime | None:
    """Smallest watermark threshold past which (strictly) these facts would change.

    Only two facts depend on the watermark: a session closing (then QA-scored) and a
    pending inquiry becoming lost. Both flip when watermark > instant + span.
    """
    instants = [x.last_at + s.session_gap for x in sessions if not x.closed]
    instants += [
        c.last_buyer_at + s.attribution_window
        for c in consultations
        if c.is_inquiry and not c.converted and not c.lost
    ]
    return min(instants, default=None)


def derive_buyer(
    messages: Sequence[ChatMessage],
    order_events: Sequence[OrderEvent],
    settings: ShopSettings,
    rules: QaRules,
    watermark: datetime,
    buyer_id: str | None = None,
) -> BuyerFacts:
    """All facts and rollup contributions of one buyer of one shop.

    `messages`: the buyer's chat messages (any sender; duplicates allowed).
    `order_events`: every event of every order touching the buyer; orders whose placing
    event belongs to another buyer are ignored. `buyer_id` is inferred from the messages
    when omitted -- pass it when the buyer may have no messages.
    """
    buyer = _identify(messages, order_events, buyer_id)
    timeline = [m for m in scoring_messages(messages) if m.buyer_id == buyer]
    placed = fold_orders(order_events, settings.timezone).values()
    mine = sorted(
        (o for o in placed if o.buyer_id == buyer), key=lambda o: (o.placed_at, o.order_id)
    )
    spans = _spans(timeline, settings)
    sessions = [_session(span, settings, rules, watermark) for span in spans]
    drafts = collect(spans, [replied_flags(span) for span in spans], settings.timezone)
    consultations, orders = _consultations(drafts, mine, settings, watermark)
    reminders = find_reminders(orders, timeline, settings.reminder_window, settings.timezone)
    parts = build(
        timeline,
        sessions,
        consultations,
        orders,
        reminders,
        timezone=settings.timezone,
        slow_reply_us=settings.slow_reply_us,
    )
    return BuyerFacts(
        shop_id=_shop(messages, order_events),
        buyer_id=buyer,
        sessions=tuple(sessions),
        consultations=tuple(consultations),
        orders=tuple(orders),
        reminders=tuple(reminders),
        agent_days=parts.agent_days,
        shop_days=parts.shop_days,
        wake_at=wake_at(sessions, consultations, settings),
    )
