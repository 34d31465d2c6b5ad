"""Deduplication and the canonical ordering of a buyer's timeline (SPEC §2, §4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Protocol, TypeVar

from .model import ChatMessage

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


# SPEC §2 order of messages: by sent_at, then event_id in code-point order (Python's str
# order); order events take the same tie-break, so "earliest" is deterministic on equal
# instants. attrgetters: one C call per key (sorting is on every derivation's path).
_MESSAGE_KEY = attrgetter("sent_at", "event_id")
ORDER_EVENT_KEY = attrgetter("occurred_at", "event_id")
_EVENT_ID = attrgetter("event_id")


def scoring_messages(messages: Sequence[ChatMessage], buyer: str) -> list[ChatMessage]:
    """The buyer's deduped, ordered buyer/agent messages with an agent; everything else
    (other buyers' messages too) is ignored. On every derivation's path, hence the C-level
    duplicate test first: timelines loaded from the DB never hold duplicates.
    """
    if len(set(map(_EVENT_ID, messages))) != len(messages):
        messages = dedupe(messages)
    kept = [
        m
        for m in messages
        if m.agent_id is not None and m.sender in _COUNTING and m.buyer_id == buyer
    ]
    kept.sort(key=_MESSAGE_KEY)
    return kept


def by_agent(messages: Sequence[ChatMessage]) -> dict[str, list[ChatMessage]]:
    """Split an ordered timeline per agent, keeping the order inside every agent's list."""
    split: dict[str, list[ChatMessage]] = {}
    for message in messages:
        assert message.agent_id is not None  # guaranteed by scoring_messages
        split.setdefault(message.agent_id, []).append(message)
    return split
