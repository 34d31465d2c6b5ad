"""Questions and responses (SPEC §4).

A question is the first buyer message of a session, or a buyer message directly after an
agent message *of the same session*: bot/system/unassigned messages are not part of the
session, so they neither separate nor create questions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from .model import ChatMessage

_US = 1_000_000


# Not frozen (nor any result type of the core): a frozen dataclass's __init__ sets every
# field through object.__setattr__, several times slower, and each derivation builds
# dozens of these. Treat them as immutable all the same; unsafe_hash keeps the hash a
# frozen dataclass had.
@dataclass(slots=True, unsafe_hash=True)
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


# Business hours (SPEC §11): question time -> when its clock starts (the next opening when
# asked while closed, else the question time itself). None: always open.
Opens = Callable[[datetime], datetime] | None


def find_questions(
    messages: Sequence[ChatMessage], days: Mapping[datetime, date], opens: Opens = None
) -> tuple[Question, ...]:
    """Questions of one session (messages in canonical order) with their responses.

    A question is the session's first buyer message or a buyer message right after an
    agent message; its response is the next agent message. So at most one question waits
    for a response at any time: one forward pass answers it at the next agent message.
    `days`: instant -> local day (days.zone_days of the shop's zone). With business
    hours (`opens`), response_us = max(0, response − next opening) (SPEC §11).
    """
    questions: list[Question] = []
    waiting: ChatMessage | None = None  # the question without a response yet
    previous = ""  # sender of the previous message of the session
    seen_buyer = False
    for message in messages:
        sender = message.sender
        if sender == "agent":
            if waiting is not None:
                questions.append(_question(waiting, days, not questions, message, opens))
                waiting = None
        elif sender == "buyer" and (not seen_buyer or previous == "agent"):
            waiting = message
            seen_buyer = True
        previous = sender
    if waiting is not None:
        questions.append(_question(waiting, days, not questions, None, opens))
    return tuple(questions)


def _question(
    asked: ChatMessage,
    days: Mapping[datetime, date],
    first: bool,
    response: ChatMessage | None,
    opens: Opens,
) -> Question:
    at = asked.sent_at
    if response is None:
        return Question(asked.event_id, at, days[at], first, None, None)
    if opens is None:
        response_us = _micros(response.sent_at, at)
    else:  # timed from the next opening; a response before it took no time
        response_us = max(0, _micros(response.sent_at, opens(at)))
    return Question(asked.event_id, at, days[at], first, response.event_id, response_us)
