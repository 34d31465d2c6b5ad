"""Automatic QA of a closed session (自动质检, SPEC §6).

Every rule yields violations; a violation carries its message (None for a rule about the
session as a whole), how many occurrences it stands for, and the penalty they cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter, itemgetter

from domain.qa_rules import RULES, QaRules

from .model import ChatMessage
from .responses import Question
from .text import text_measures


# Not frozen: see responses.Question.
@dataclass(slots=True, unsafe_hash=True)
class Violation:
    rule: str
    message_event_id: str | None
    count: int  # occurrences: the rule's v_<rule> metric adds this
    penalty: int  # count x the rule's penalty
    notify: bool
    detail: str | None = None  # e.g. the forbidden word found


@dataclass(slots=True, unsafe_hash=True)
class QaResult:
    score: int
    violations: tuple[Violation, ...]

    def count(self, rule: str) -> int:
        return sum(v.count for v in self.violations if v.rule == rule)


@dataclass(slots=True)
class _Session:
    messages: Sequence[ChatMessage]
    questions: Sequence[Question]
    plan: _Plan
    slow_reply_us: int
    # Several rules look at the agent's messages: select them once per session.
    agent_messages: list[ChatMessage]
    # (characters, emoji) of each agent message (text.text_measures), in the same order:
    # two rules read them, so they are looked up once.
    measures: list[tuple[int, int]]


# The text checks are pure functions of (text, parameters), memoised because a buyer is
# re-derived from its whole history on every new event, and canned replies repeat.
@lru_cache(maxsize=1 << 16)
def _has_phrase(text: str, phrases: tuple[str, ...]) -> bool:
    return any(p in text for p in phrases)


@lru_cache(maxsize=1 << 16)
def _word_counts(text: str, folded_words: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(case-folded word, occurrences) of every word found in the case-folded text; the
    words come case-folded already (the plan folds them once, not once per message)."""
    folded = text.casefold()
    return tuple((w, n) for w in folded_words if (n := folded.count(w)))


_TEXT = attrgetter("text")
_MSG_TYPE = attrgetter("msg_type")
_EMOJIS = itemgetter(1)  # of a text_measures pair

# A hit: (message event_id or None, occurrences, detail).
_Hit = tuple[str | None, int, str | None]
_NO_HITS: tuple[_Hit, ...] = ()  # what most checks find: returned, not built


def _closing_by_agent(s: _Session) -> Sequence[_Hit]:
    last = s.messages[-1]
    return [(last.event_id, 1, None)] if last.sender != "agent" else _NO_HITS


def _min_reply_length(s: _Session) -> Sequence[_Hit]:
    least = s.plan.min_chars
    return [
        (m.event_id, 1, None)
        for m, (chars, _) in zip(s.agent_messages, s.measures, strict=True)
        if chars < least and m.msg_type == "text"
    ]


def _min_emojis(s: _Session) -> Sequence[_Hit]:
    agent = s.agent_messages
    if not agent:  # an unanswered session is judged by unanswered/closing_by_agent only
        return _NO_HITS
    # char_count/count_emojis of text.py, read from the session's measures.
    total = sum(map(_EMOJIS, s.measures)) + list(map(_MSG_TYPE, agent)).count("emoji")
    return [(None, 1, None)] if total < s.plan.min_emoji_count else _NO_HITS


def _greeting(s: _Session) -> Sequence[_Hit]:
    agent = s.agent_messages
    if agent and not _has_phrase(agent[0].text, s.plan.greeting_phrases):
        return [(agent[0].event_id, 1, None)]
    return _NO_HITS


def _slow_reply(s: _Session) -> Sequence[_Hit]:
    slow = s.slow_reply_us
    return [
        (q.response_event_id, 1, None)
        for q in s.questions
        if q.response_us is not None and q.response_us > slow
    ]


def _unanswered(s: _Session) -> Sequence[_Hit]:
    return [(q.event_id, 1, None) for q in s.questions if q.response_event_id is None]


def _forbidden_words(s: _Session) -> Sequence[_Hit]:
    # Case folding on both sides; str.count counts non-overlapping occurrences, and every
    # word is counted on its own: plain substrings, so "滚筒洗衣机" does contain "滚".
    words = s.plan.folded_forbidden_words
    return [
        (m.event_id, n, word) for m in s.agent_messages for word, n in _word_counts(m.text, words)
    ]


_CHECKS: dict[str, Callable[[_Session], Sequence[_Hit]]] = {
    "closing_by_agent": _closing_by_agent,
    "min_reply_length": _min_reply_length,
    "min_emojis": _min_emojis,
    "greeting": _greeting,
    "slow_reply": _slow_reply,
    "unanswered": _unanswered,
    "forbidden_words": _forbidden_words,
}


@dataclass(frozen=True, slots=True)
class _Plan:
    """A QaRules read once: the enabled checks in RULES order and the typed parameters."""

    checks: tuple[tuple[str, Callable[[_Session], Sequence[_Hit]], int, bool], ...]
    min_chars: int
    min_emoji_count: int
    greeting_phrases: tuple[str, ...]
    folded_forbidden_words: tuple[str, ...]  # each case-folded, in the rules' order


# id(rules) -> (rules, plan). Holding the rules keeps the id from being reused; a shop's
# rules object lives as long as its context, so this sees a handful of entries.
_PLANS: dict[int, tuple[QaRules, _Plan]] = {}


def _plan(rules: QaRules) -> _Plan:
    cached = _PLANS.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    configs = [(rule, rules[rule]) for rule in RULES]
    plan = _Plan(
        checks=tuple((r, _CHECKS[r], c.penalty, c.notify) for r, c in configs if c.enabled),
        min_chars=rules.min_chars,
        min_emoji_count=rules.min_emoji_count,
        greeting_phrases=rules.greeting_phrases,
        folded_forbidden_words=tuple(w.casefold() for w in rules.forbidden_words),
    )
    if len(_PLANS) >= 1024:
        _PLANS.clear()
    _PLANS[id(rules)] = (rules, plan)
    return plan


def score_session(
    messages: Sequence[ChatMessage],
    questions: Sequence[Question],
    rules: QaRules,
    slow_reply_us: int,
) -> QaResult:
    """score = max(0, 100 - sum of penalties) over the enabled rules."""
    agent = [m for m in messages if m.sender == "agent"]
    measures = list(map(text_measures, map(_TEXT, agent)))
    session = _Session(messages, questions, _plan(rules), slow_reply_us, agent, measures)
    violations: list[Violation] = []
    penalties = 0
    for rule, check, penalty, notify in session.plan.checks:
        for event_id, n, detail in check(session):
            violations.append(Violation(rule, event_id, n, n * penalty, notify, detail))
            penalties += n * penalty
    return QaResult(max(0, 100 - penalties), tuple(violations))
