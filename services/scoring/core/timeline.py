"""Deduplication and the canonical ordering of a buyer's timeline (SPEC §2, §4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Protocol, TypeVar

from .model import ChatMessage, OrderEvent

_COUNTING = frozenset({"buyer", "agent"})  # ChatMessage.counts, inlined


class _HasEventId(Protocol):
    @property
    def event_id(self) -> str: ...


E = TypeVar("E", bound=_HasEventId)


def dedupe(events: Iterable[E]) -> list[E]:
    """Keep the first event of every event_id (ingest's rule: the first one wins)."""
    seen: set[str] = set()
    kept: list[E] = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            kept.append(event)
    return kept


def message_key(message: ChatMessage) -> tuple[datetime, str]:
    """SPEC §2: by sent_at, then event_id in code-point order (Python's str order)."""
    return (message.sent_at, message.event_id)


def order_event_key(event: OrderEvent) -> tuple[datetime, str]:
    """Same tie-break for order events, so "earliest" is deterministic on equal instants."""
    return (event.occurred_at, event.event_id)


# message_key as one C call (sorting whole timelines is on every derivation's path).
_MESSAGE_KEY = attrgetter("sent_at", "event_id")


def scoring_messages(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """Deduped, ordered buyer/agent messages with an agent; everything else is ignored."""
    return sorted(
        (m for m in dedupe(messages) if m.agent_id is not None and m.sender in _COUNTING),
        key=_MESSAGE_KEY,
    )


def by_agent(messages: Sequence[ChatMessage]) -> dict[str, list[ChatMessage]]:
    """Split an ordered timeline per agent, keeping the order inside every agent's list."""
    split: dict[str, list[ChatMessage]] = {}
    for message in messages:
        assert message.agent_id is not None  # guaranteed by scoring_messages
        split.setdefault(message.agent_id, []).append(message)
    return split
