"""Input events of the scoring core (SPEC §2), as plain immutable values.

The core never validates: ingest has already rejected malformed events, so these
types only describe what a valid event looks like.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, NamedTuple

Sender = Literal["buyer", "agent", "bot", "system"]
MsgType = Literal["text", "emoji", "image", "item_link", "order_card", "other"]
OrderEventType = Literal["order.created", "order.paid", "order.cancelled", "order.refunded"]


class ChatMessage(NamedTuple):
    """A `chat.message` event. `sent_at` must be timezone-aware.

    A NamedTuple, not a dataclass: hundreds of thousands are built per batch straight
    from database rows, and a tuple is several times cheaper to build than a frozen
    dataclass (and as immutable: cached timelines share them between derivations)."""

    shop_id: str
    event_id: str
    buyer_id: str
    agent_id: str | None
    sender: Sender
    sent_at: datetime
    msg_type: MsgType
    text: str

    @property
    def counts(self) -> bool:
        """Whether the message takes part in the §4 definitions at all.

        Bots and system notices never count for an agent, and a message not yet routed to
        an agent (agent_id null) has nobody to count for. They still move the watermark.
        """
        return self.sender in ("buyer", "agent") and self.agent_id is not None


class OrderEvent(NamedTuple):
    """An `order.*` event. `amount` is None only where SPEC allows it (cancelled).
    A NamedTuple for the same reason as ChatMessage."""

    shop_id: str
    event_id: str
    type: OrderEventType
    order_id: str
    buyer_id: str
    occurred_at: datetime
    amount: Decimal | None


Rating = Literal["good", "neutral", "bad"]


class ReviewEvent(NamedTuple):
    """A `review.posted` event (SPEC §11); a DSR score is None when the buyer gave none.
    `buyer_id` is kept but never used: the review belongs to its order."""

    shop_id: str
    event_id: str
    order_id: str
    buyer_id: str
    posted_at: datetime
    rating: Rating
    text: str
    dsr_item: int | None
    dsr_service: int | None
    dsr_logistics: int | None


Event = ChatMessage | OrderEvent | ReviewEvent


def event_time(event: Event) -> datetime:
    """The timestamp that moves the shop's watermark (sent_at, occurred_at, posted_at)."""
    if isinstance(event, ChatMessage):
        return event.sent_at
    return event.posted_at if isinstance(event, ReviewEvent) else event.occurred_at
