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
                # The answered question, built here: a call per question is a tenth of
                # this function's time (it runs for every session of every derivation).
                at = waiting.sent_at
                start = at if opens is None else opens(at)
                response_us = _micros(message.sent_at, start)
                if opens is not None and response_us < 0:
                    response_us = 0  # answered before the opening: it took no time
                questions.append(
                    Question(
                        waiting.event_id,
                        at,
                        days[at],
                        not questions,
                        message.event_id,
                        response_us,
                    )
                )
                waiting = None
        elif sender == "buyer" and (not seen_buyer or previous == "agent"):
            waiting = message
            seen_buyer = True
        previous = sender
    if waiting is not None:
        at = waiting.sent_at
        questions.append(Question(waiting.event_id, at, days[at], not questions, None, None))
    return tuple(questions)
