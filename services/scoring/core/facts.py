"""Derived facts of one (shop, buyer): what the shell stores and the API shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import ResponseTimes

from .inquiries import Consultation
from .orders import Order
from .qa import QaResult
from .reminders import Reminder
from .responses import Question
from .reviews import OrderReview


@dataclass(slots=True, unsafe_hash=True)  # not frozen: see responses.Question
class Session:
    agent_id: str
    day: date  # local day of the first message: sessions and QA count here
    first_at: datetime
    last_at: datetime
    closed: bool
    message_ids: tuple[str, ...]
    buyer_messages: int  # of message_ids; the others are the agent's
    questions: tuple[Question, ...]
    qa: QaResult | None  # only once closed

    @property
    def agent_messages(self) -> int:
        return len(self.message_ids) - self.buyer_messages

    @property
    def first_response(self) -> Question | None:
        first = self.questions[0] if self.questions else None
        return first if first is not None and first.answered else None


AgentDays = dict[tuple[str, date], AgentDayParts]
ShopDays = dict[date, ShopDayParts]
# Response times per (agent, question's day): what the percentiles read (SPEC §11).
Spreads = dict[tuple[str, date], ResponseTimes]


@dataclass(frozen=True, slots=True)
class Contributions:
    """One buyer's additive rollup parts; zero rows are never present."""

    agent_days: AgentDays = field(default_factory=dict)
    shop_days: ShopDays = field(default_factory=dict)
    spreads: Spreads = field(default_factory=dict)


@dataclass(slots=True, unsafe_hash=True)  # not frozen: see responses.Question
class BuyerFacts:
    shop_id: str
    buyer_id: str
    sessions: tuple[Session, ...]
    consultations: tuple[Consultation, ...]  # inquiries are those with kind "presale"
    orders: tuple[Order, ...]  # placed orders whose buyer is this buyer
    reminders: tuple[Reminder, ...]
    agent_days: AgentDays
    shop_days: ShopDays
    # Re-derive once the shop watermark is strictly greater than this; None = never needed.
    wake_at: datetime | None
    reviews: tuple[OrderReview, ...] = ()  # the reviews of this buyer's placed orders
    spreads: Spreads = field(default_factory=dict)

    @property
    def contributions(self) -> Contributions:
        return Contributions(self.agent_days, self.shop_days, self.spreads)

    @property
    def inquiries(self) -> tuple[Consultation, ...]:
        return tuple(c for c in self.consultations if c.is_inquiry)
