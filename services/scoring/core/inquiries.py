"""Consultations (咨询) and inquiries (询单), SPEC §4.

A consultation is (agent, buyer, local day) with at least one buyer message to the agent
that day; it gathers every buyer message of the buyer to that agent on that day, across
sessions. It is an inquiry (pre-sale) unless the buyer's orders make it after-sale or
mid-sale at its first buyer message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from .model import ChatMessage
from .orders import Order
from .sessions import last_agent_index

Kind = Literal["presale", "aftersale", "midsale"]
Status = Literal["converted", "lost", "ordered", "pending"]


@dataclass(slots=True, unsafe_hash=True)  # not frozen: see responses.Question
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
    spans: Iterable[Sequence[ChatMessage]], days: Mapping[datetime, date]
) -> list[ConsultationDraft]:
    """Group buyer messages by (agent, the message's own local day).

    `spans`: one agent's sessions after another's, each in canonical order (as derive
    makes them), so every draft's messages arrive in canonical order: no sorting them.
    """
    drafts: dict[tuple[str, date], ConsultationDraft] = {}
    for span in spans:
        replied_before = last_agent_index(span)
        for index, message in enumerate(span):
            if message.sender != "buyer":
                continue
            assert message.agent_id is not None
            key = (message.agent_id, days[message.sent_at])
            draft = drafts.get(key)
            if draft is None:
                draft = drafts[key] = ConsultationDraft(*key)
            draft.messages.append(message)
            if index < replied_before:
                draft.replied = True
    # Sorted by key even though made almost in order: a local date can step back (a DST
    # change at midnight), and the tuple keys compare in C.
    return [drafts[key] for key in sorted(drafts)]


def _open_at(order: Order, first: datetime) -> bool:
    """Neither paid nor cancelled by `first` (an event exactly at `first` counts as done)."""
    paid = order.paid_at is not None and order.paid_at <= first
    cancelled = order.cancelled_at is not None and order.cancelled_at <= first
    return not paid and not cancelled


def classify(first: datetime, orders: Iterable[Order], lookback: timedelta) -> Kind:
    """After-sale wins over mid-sale when both hold: the buyer already has a paid order."""
    since = first - lookback
    midsale = False
    for o in orders:
        if o.paid_at is not None and since <= o.paid_at <= first:
            return "aftersale"
        midsale = midsale or (since <= o.placed_at <= first and _open_at(o, first))
    return "midsale" if midsale else "presale"
