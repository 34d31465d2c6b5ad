"""Questions and responses (SPEC §4).

A question is the first buyer message of a session, or a buyer message directly after an
agent message *of the same session*: bot/system/unassigned messages are not part of the
session, so they neither separate nor create questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from .days import local_day
from .model import ChatMessage

_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Question:
    event_id: str
    asked_at: datetime
    day: date  # local day of the question: its response counts on this day
    first: bool  # the session's first question; its response is the first response
    response_event_id: str | None  # None: unanswered (so far, if the session is open)
    response_us: int | None  # exact integer microseconds, response time - question time

    @property
    def answered(self) -> bool:
        return self.response_event_id is not None


def _micros(later: datetime, earlier: datetime) -> int:
    delta = later - earlier
    # Exact integer arithmetic on timedelta parts: no float seconds anywhere.
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _next_agents(messages: Sequence[ChatMessage]) -> list[ChatMessage | None]:
    """For every position: the first agent message at or after it (one backward pass)."""
    following: list[ChatMessage | None] = [None] * (len(messages) + 1)
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        following[index] = message if message.sender == "agent" else following[index + 1]
    return following


def find_questions(messages: Sequence[ChatMessage], timezone: str) -> tuple[Question, ...]:
    """Questions of one session (messages in canonical order) with their responses.

    A question is the session's first buyer message or a buyer message right after an
    agent message; its response is the next agent message.
    """
    questions: list[Question] = []
    following: list[ChatMessage | None] | None = None
    previous = ""  # sender of the previous message of the session
    seen_buyer = False
    for index, message in enumerate(messages):
        sender = message.sender
        if sender == "buyer" and (not seen_buyer or previous == "agent"):
            if following is None:
                following = _next_agents(messages)
            response = following[index + 1]
            questions.append(
                Question(
                    event_id=message.event_id,
                    asked_at=message.sent_at,
                    day=local_day(message.sent_at, timezone),
                    first=not questions,
                    response_event_id=response.event_id if response else None,
                    response_us=_micros(response.sent_at, message.sent_at) if response else None,
                )
            )
        seen_buyer = seen_buyer or sender == "buyer"
        previous = sender
    return tuple(questions)
