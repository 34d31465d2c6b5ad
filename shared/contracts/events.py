"""SPEC §2 event models: chat.message on cs.chat.v1, order.* on cs.order.v1."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

from shared.contracts.types import Id, Money, ShopId, Timestamp

ChatSender = Literal["buyer", "agent", "bot", "system"]
MsgType = Literal["text", "emoji", "image", "item_link", "order_card", "other"]
OrderType = Literal["order.created", "order.paid", "order.cancelled", "order.refunded"]

CHAT_TYPES = frozenset({"chat.message"})
ORDER_TYPES = frozenset({"order.created", "order.paid", "order.cancelled", "order.refunded"})


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


Event = ChatMessageEvent | OrderEvent


__all__ = ["CHAT_TYPES", "ORDER_TYPES", "ChatMessageEvent", "Decimal", "Event", "OrderEvent"]
