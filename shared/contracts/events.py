"""SPEC §2 event models: chat.message on cs.chat.v1, order.* on cs.order.v1."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)

from shared.contracts.types import Id, Money, ShopId, Timestamp

ChatSender = Literal["buyer", "agent", "bot", "system"]
MsgType = Literal["text", "emoji", "image", "item_link", "order_card", "other"]
OrderType = Literal["order.created", "order.paid", "order.cancelled", "order.refunded"]

CHAT_TYPES = frozenset({"chat.message"})
ORDER_TYPES = frozenset({"order.created", "order.paid", "order.cancelled", "order.refunded"})
REVIEW_TYPES = frozenset({"review.posted"})
Rating = Literal["good", "neutral", "bad"]
DSR_KEYS = ("item", "service", "logistics")
MAX_REVIEW_TEXT = 2000


class _Event(BaseModel):
    # Producers may add fields of their own; they are kept in the stored body, not rejected.
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: Id
    shop_id: ShopId


class ChatMessageEvent(_Event):
    type: Literal["chat.message"]
    buyer_id: Id
    # Required but nullable: null means the buyer is not yet routed to an agent.
    agent_id: Id | None = Field(...)
    sender: ChatSender
    sent_at: Timestamp
    msg_type: MsgType = "text"
    text: Annotated[StrictStr, Field(max_length=10_000)]
    message_id: StrictStr | None = None

    @model_validator(mode="after")
    def _text_required_for_text(self) -> ChatMessageEvent:
        if self.msg_type == "text" and self.text == "":
            raise ValueError("text must not be empty for msg_type 'text'")
        return self

    @property
    def occurred(self) -> datetime:
        return self.sent_at


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    item_id: Id
    quantity: Annotated[StrictInt, Field(ge=1)]
    price: Money


class OrderEvent(_Event):
    type: OrderType
    order_id: Id
    buyer_id: Id
    occurred_at: Timestamp
    amount: Money | None = None
    items: list[OrderItem] | None = None

    @model_validator(mode="after")
    def _amount_required(self) -> OrderEvent:
        if self.amount is None and self.type != "order.cancelled":
            raise ValueError(f'amount is required on {self.type} (a money string such as "199")')
        return self

    @property
    def occurred(self) -> datetime:
        return self.occurred_at


def _dsr(value: object) -> dict[str, int] | None:
    """SPEC §11 dsr: null = absent; an object whose keys item/service/logistics, each
    optional, are JSON integers 1-5 (not 5.0, not true, not null); other keys ignored."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(
            f'must be an object such as {{"item": 5, "service": 4}} or null, '
            f"got {type(value).__name__}"
        )
    scores: dict[str, int] = {}
    for key in DSR_KEYS:
        if key not in value:
            continue
        score = value[key]
        if type(score) is not int or not 1 <= score <= 5:
            raise ValueError(
                f"{key} must be a JSON integer from 1 to 5 (not 5.0, true or null), "
                f"got {score!r}; leave the key out when the buyer gave no score"
            )
        scores[key] = score
    return scores


def _review_text(value: str) -> str:
    if len(value) > MAX_REVIEW_TEXT:
        raise ValueError(
            f"must be at most {MAX_REVIEW_TEXT} code points, got {len(value)}; cut the review text"
        )
    return value


Dsr = Annotated[dict[str, int] | None, BeforeValidator(_dsr)]


class ReviewEvent(_Event):
    """SPEC §11 `review.posted` on cs.order.v1: a buyer's review of an order (改评: a
    later one of the same order replaces it)."""

    type: Literal["review.posted"]
    order_id: Id
    buyer_id: Id
    posted_at: Timestamp
    rating: Rating
    text: Annotated[StrictStr, AfterValidator(_review_text)]
    dsr: Dsr = None

    @property
    def occurred(self) -> datetime:
        return self.posted_at


Event = ChatMessageEvent | OrderEvent | ReviewEvent


__all__ = [
    "CHAT_TYPES",
    "DSR_KEYS",
    "ORDER_TYPES",
    "REVIEW_TYPES",
    "ChatMessageEvent",
    "Decimal",
    "Event",
    "OrderEvent",
    "ReviewEvent",
]
