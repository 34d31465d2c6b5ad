"""Automatic QA of a closed session (自动质检, SPEC §6).

Every rule yields violations; a violation carries its message (None for a rule about the
session as a whole), how many occurrences it stands for, and the penalty they cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .model import ChatMessage
from .qa_rules import RULES, QaRules
from .responses import Question
from .text import char_count, count_emojis


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    message_event_id: str | None
    count: int  # occurrences: the rule's v_<rule> metric adds this
    penalty: int  # count x the rule's penalty
    notify: bool
    detail: str | None = None  # e.g. the forbidden word found


@dataclass(frozen=True, slots=True)
class QaResult:
    score: int
    violations: tuple[Violation, ...]

    def count(self, rule: str) -> int:
        return sum(v.count for v in self.violations if v.rule == rule)


@dataclass(frozen=True, slots=True)
class _Session:
    messages: Sequence[ChatMessage]
    questions: Sequence[Question]
    rules: QaRules
    slow_reply_us: int
    agent_messages: list[ChatMessage] = field(init=False)

    def __post_init__(self) -> None:
        # Several rules look at the agent's messages: select them once per session.
        object.__setattr__(
            self, "agent_messages", [m for m in self.messages if m.sender == "agent"]
        )


# The text checks are pure functions of (text, parameters), memoised because a buyer is
# re-derived from its whole history on every new event, and canned replies repeat.
@lru_cache(maxsize=1 << 16)
def _has_phrase(text: str, phrases: tuple[str, ...]) -> bool:
    return any(p in text for p in phrases)


@lru_cache(maxsize=1 << 16)
def _word_counts(text: str, words: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(case-folded word, occurrences) of every word found in the case-folded text."""
    folded = text.casefold()
    found = ((w, folded.count(w)) for w in (w.casefold() for w in words))
    return tuple((w, n) for w, n in found if n)


# A hit: (message event_id or None, occurrences, detail).
_Hit = tuple[str | None, int, str | None]


def _closing_by_agent(s: _Session) -> Iterator[_Hit]:
    last = s.messages[-1]
    if last.sender != "agent":
        yield (last.event_id, 1, None)


def _min_reply_length(s: _Session) -> Iterator[_Hit]:
    for m in s.agent_messages:
        if m.msg_type == "text" and char_count(m.text) < s.rules.min_chars:
            yield (m.event_id, 1, None)


def _min_emojis(s: _Session) -> Iterator[_Hit]:
    agent = s.agent_messages
    if not agent:  # an unanswered session is judged by unanswered/closing_by_agent only
        return
    total = sum(count_emojis(m.text) + (m.msg_type == "emoji") for m in agent)
    if total < s.rules.min_emoji_count:
        yield (None, 1, None)


def _greeting(s: _Session) -> Iterator[_Hit]:
    agent = s.agent_messages
    if agent and not _has_phrase(agent[0].text, s.rules.greeting_phrases):
        yield (agent[0].event_id, 1, None)


def _slow_reply(s: _Session) -> Iterator[_Hit]:
    for q in s.questions:
        if q.response_us is not None and q.response_us > s.slow_reply_us:
            yield (q.response_event_id, 1, None)


def _unanswered(s: _Session) -> Iterator[_Hit]:
    for q in s.questions:
        if not q.answered:
            yield (q.event_id, 1, None)


def _forbidden_words(s: _Session) -> Iterator[_Hit]:
    # Case folding on both sides; str.count counts non-overlapping occurrences, and every
    # word is counted on its own: plain substrings, so "滚筒洗衣机" does contain "滚".
    words = s.rules.forbidden_words
    for m in s.agent_messages:
        for word, n in _word_counts(m.text, words):
            yield (m.event_id, n, word)


_CHECKS: dict[str, Callable[[_Session], Iterator[_Hit]]] = {
    "closing_by_agent": _closing_by_agent,
    "min_reply_length": _min_reply_length,
    "min_emojis": _min_emojis,
    "greeting": _greeting,
    "slow_reply": _slow_reply,
    "unanswered": _unanswered,
    "forbidden_words": _forbidden_words,
}


def score_session(
    messages: Sequence[ChatMessage],
    questions: Sequence[Question],
    rules: QaRules,
    slow_reply_us: int,
) -> QaResult:
    """score = max(0, 100 - sum of penalties) over the enabled rules."""
    session = _Session(messages, questions, rules, slow_reply_us)
    violations: list[Violation] = []
    for rule in RULES:
        config = rules[rule]
        if not config.enabled:
            continue
        for event_id, n, detail in _CHECKS[rule](session):
            violations.append(
                Violation(rule, event_id, n, n * config.penalty, config.notify, detail)
            )
    return QaResult(max(0, 100 - sum(v.penalty for v in violations)), tuple(violations))
