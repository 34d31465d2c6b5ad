"""Consultations (咨询) and inquiries (询单), SPEC §4.

A consultation is (agent, buyer, local day) with at least one buyer message to the agent
that day; it gathers every buyer message of the buyer to that agent on that day, across
sessions. It is an inquiry (pre-sale) unless the buyer's orders make it after-sale or
mid-sale at its first buyer message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from .days import local_day
from .model import ChatMessage
from .orders import Order

Kind = Literal["presale", "aftersale", "midsale"]
Status = Literal["converted", "lost", "ordered", "pending"]


@dataclass(frozen=True, slots=True)
class Consultation:
    agent_id: str
    day: date
    kind: Kind
    first_buyer_at: datetime
    last_buyer_at: datetime
    buyer_message_ids: tuple[str, ...]
    replied: bool  # some buyer message has a later agent message in its session
    order_ids: tuple[str, ...] = ()  # attributed orders (inquiries only)
    ordered: bool = False
    converted: bool = False
    lost: bool = False

    @property
    def is_inquiry(self) -> bool:
        return self.kind == "presale"

    @property
    def status(self) -> Status | None:
        """One label for the review list: converted > lost > ordered > pending.

        `ordered` and `lost` are not exclusive (an unpaid order past the window is both);
        the flags keep both facts, this label shows the one a manager acts on.
        """
        if not self.is_inquiry:
            return None
        if self.converted:
            return "converted"
        if self.lost:
            return "lost"
        return "ordered" if self.ordered else "pending"


@dataclass(slots=True)
class ConsultationDraft:
    """Buyer messages of one (agent, day) collected across sessions, before classifying."""

    agent_id: str
    day: date
    messages: list[ChatMessage] = field(default_factory=list)
    replied: bool = False


def collect(
    sessions: Iterable[Sequence[ChatMessage]],
    replied: Iterable[Sequence[bool]],
    timezone: str,
) -> list[ConsultationDraft]:
    """Group buyer messages by (agent, the message's own local day)."""
    drafts: dict[tuple[str, date], ConsultationDraft] = {}
    for messages, flags in zip(sessions, replied, strict=True):
        for message, flag in zip(messages, flags, strict=True):
            if message.sender != "buyer":
                continue
            assert message.agent_id is not None
            key = (message.agent_id, local_day(message.sent_at, timezone))
            draft = drafts.setdefault(key, ConsultationDraft(*key))
            draft.messages.append(message)
            draft.replied = draft.replied or flag
    for draft in drafts.values():
        draft.messages.sort(key=lambda m: (m.sent_at, m.event_id))
    return sorted(drafts.values(), key=lambda d: (d.agent_id, d.day))


def _within(instant: datetime, first: datetime, lookback: timedelta) -> bool:
    return first - lookback <= instant <= first  # both bounds inclusive


def _open_at(order: Order, first: datetime) -> bool:
    """Neither paid nor cancelled by `first` (an event exactly at `first` counts as done)."""
    paid = order.paid_at is not None and order.paid_at <= first
    cancelled = order.cancelled_at is not None and order.cancelled_at <= first
    return not paid and not cancelled


def classify(first: datetime, orders: Iterable[Order], lookback: timedelta) -> Kind:
    """After-sale wins over mid-sale when both hold: the buyer already has a paid order."""
    orders = list(orders)
    if any(o.paid_at is not None and _within(o.paid_at, first, lookback) for o in orders):
        return "aftersale"
    if any(_within(o.placed_at, first, lookback) and _open_at(o, first) for o in orders):
        return "midsale"
    return "presale"
