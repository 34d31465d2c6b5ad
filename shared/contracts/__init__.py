"""Event contracts of SPEC §2: pydantic models and the validation that names every rejection."""

from shared.contracts.events import (
    ChatMessageEvent,
    Event,
    OrderEvent,
    OrderItem,
    ReviewEvent,
)
from shared.contracts.validation import Rejection, RejectReason, check_event_time, parse_event

__all__ = [
    "ChatMessageEvent",
    "Event",
    "OrderEvent",
    "OrderItem",
    "RejectReason",
    "Rejection",
    "ReviewEvent",
    "check_event_time",
    "parse_event",
]
