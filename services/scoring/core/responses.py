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


def _is_question(messages: Sequence[ChatMessage], index: int, seen_buyer: bool) -> bool:
    message = messages[index]
    if message.sender != "buyer":
        return False
    return not seen_buyer or messages[index - 1].sender == "agent"


def _next_agent(messages: Sequence[ChatMessage], start: int) -> ChatMessage | None:
    return next((m for m in messages[start:] if m.sender == "agent"), None)


def find_questions(messages: Sequence[ChatMessage], timezone: str) -> tuple[Question, ...]:
    """Questions of one session (messages in canonical order) with their responses."""
    questions: list[Question] = []
    seen_buyer = False
    for index, message in enumerate(messages):
        if _is_question(messages, index, seen_buyer):
            response = _next_agent(messages, index + 1)
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
        seen_buyer = seen_buyer or message.sender == "buyer"
    return tuple(questions)
