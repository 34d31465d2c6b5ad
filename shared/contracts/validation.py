"""Turn raw Kafka bytes into a valid event or a rejection a person can act on (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from shared.contracts import fast
from shared.contracts.events import (
    CHAT_TYPES,
    ORDER_TYPES,
    REVIEW_TYPES,
    ChatMessageEvent,
    Event,
    OrderEvent,
    ReviewEvent,
)

MAX_EVENT_BYTES = 64 * 1024
MAX_FUTURE = timedelta(minutes=5)


class RejectReason(StrEnum):
    OVER_SIZE = "over_size"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_FIELDS = "invalid_fields"
    UNKNOWN_SHOP = "unknown_shop"
    FUTURE_TIMESTAMP = "future_timestamp"
    TOO_OLD = "too_old"
    WRONG_TOPIC = "wrong_topic"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: RejectReason
    detail: str
    # Whatever could be read of the event, for filtering dead letters by shop and id.
    shop_id: str | None = None
    event_id: str | None = None


class Parsed:
    """A valid event: its JSON body and what ingest reads of every event. The pydantic
    model (`event`) is built on first use: ingest's hot path never needs it."""

    __slots__ = ("_event", "body", "event_id", "kind", "occurred", "shop_id")

    def __init__(self, body: dict[str, Any], occurred: datetime, event: Event | None = None):
        self.body = body
        self.kind: str = body["type"]
        self.shop_id: str = body["shop_id"]
        self.event_id: str = body["event_id"]
        self.occurred = occurred
        self._event = event

    @property
    def event(self) -> Event:
        if self._event is None:
            model = _model(self.kind)
            assert model is not None  # a Parsed has a known type
            self._event = model.model_validate(self.body)
        return self._event

    def __repr__(self) -> str:
        return f"Parsed({self.event!r})"


def parse_event(raw: bytes | None) -> Parsed | Rejection:
    """Size, JSON, type and field checks; shop and clock checks come after (they need state).

    Valid events take the fast path (fast.py); anything it is unsure of goes through the
    pydantic models, which give the verdict and the reason."""
    body = _decode(raw)
    if isinstance(body, Rejection):
        return body
    occurred = fast.event_time(body)
    if occurred is not None:
        return Parsed(body, occurred)
    return _parse_body(body)


def parse_event_by_models(raw: bytes | None) -> Parsed | Rejection:
    """The reference: every event through the pydantic models (what the fast path must
    agree with; tests only)."""
    body = _decode(raw)
    return body if isinstance(body, Rejection) else _parse_body(body)


def _decode(raw: bytes | None) -> dict[str, Any] | Rejection:
    if raw is None:
        return Rejection(RejectReason.NOT_JSON, "message has no value (a tombstone?)")
    if len(raw) > MAX_EVENT_BYTES:
        return Rejection(
            RejectReason.OVER_SIZE,
            f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES} bytes (64 KiB)",
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Rejection(RejectReason.NOT_JSON, f"not UTF-8 JSON: {exc}")
    if not isinstance(body, dict):
        return Rejection(
            RejectReason.NOT_OBJECT, f"event must be a JSON object, got {type(body).__name__}"
        )
    return body


def _parse_body(body: dict[str, Any]) -> Parsed | Rejection:
    shop_id = body.get("shop_id") if isinstance(body.get("shop_id"), str) else None
    event_id = body.get("event_id") if isinstance(body.get("event_id"), str) else None
    kind = body.get("type")
    if not isinstance(kind, str):
        problem = "is required" if kind is None else "must be a string"
        return Rejection(RejectReason.INVALID_FIELDS, f"type: {problem}", shop_id, event_id)
    model = _model(kind)
    if model is None:
        known = ", ".join(sorted(CHAT_TYPES | ORDER_TYPES | REVIEW_TYPES))
        return Rejection(
            RejectReason.UNKNOWN_TYPE,
            f"unknown event type {kind!r}; expected one of {known}",
            shop_id,
            event_id,
        )
    try:
        event = model.model_validate(body)
    except ValidationError as exc:
        return Rejection(RejectReason.INVALID_FIELDS, describe(exc), shop_id, event_id)
    return Parsed(body, event.occurred, event)


def _model(
    kind: str,
) -> type[ChatMessageEvent] | type[OrderEvent] | type[ReviewEvent] | None:
    """The contract model of an event type (None: unknown type)."""
    if kind in CHAT_TYPES:
        return ChatMessageEvent
    if kind in ORDER_TYPES:
        return OrderEvent
    return ReviewEvent if kind in REVIEW_TYPES else None


def describe(exc: ValidationError) -> str:
    """One line per wrong field: where, and what to change."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "event"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


class Timed(Protocol):
    """An Event or a Parsed: what the clock checks read."""

    @property
    def occurred(self) -> datetime: ...
    @property
    def shop_id(self) -> str: ...
    @property
    def event_id(self) -> str: ...


def check_event_time(event: Timed, *, now: datetime, retention_days: int) -> Rejection | None:
    """Reject timestamps > 5 min in the future or older than the shop's raw retention."""
    at = event.occurred
    if at - now > MAX_FUTURE:
        return Rejection(
            RejectReason.FUTURE_TIMESTAMP,
            f"timestamp {at.isoformat()} is {(at - now).total_seconds():.0f} s in the future "
            f"(more than 5 minutes ahead of the service clock {now.isoformat()}); fix the "
            f"producer's clock or offset",
            event.shop_id,
            event.event_id,
        )
    if now - at > timedelta(days=retention_days):
        return Rejection(
            RejectReason.TOO_OLD,
            f"timestamp {at.isoformat()} is older than the shop's raw-event retention of "
            f"{retention_days} days",
            event.shop_id,
            event.event_id,
        )
    return None
