"""Automatic QA of a closed session (自动质检, SPEC §6).

Every rule yields violations; a violation carries its message (None for a rule about the
session as a whole), how many occurrences it stands for, and the penalty they cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

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


class _Text(NamedTuple):
    """What the rules of one plan read of one agent message's text (SPEC §6)."""

    chars: int  # text.char_count
    emojis: int  # text.count_emojis
    greets: bool  # holds one of the greeting phrases
    words: tuple[tuple[str, int], ...]  # (case-folded forbidden word, occurrences) found


@dataclass(slots=True)
class _Session:
    messages: Sequence[ChatMessage]
    questions: Sequence[Question]
    plan: _Plan
    slow_reply_us: int
    # Several rules look at the agent's messages: select them once per session.
    agent_messages: list[ChatMessage]
    # What the plan's rules read of each agent message's text, in the same order.
    texts: list[_Text]


def _read(text: str, plan: _Plan) -> _Text:
    """The text checks are pure functions of (text, phrases, words), memoised by the text
    alone for the plan's phrases and words (one dict lookup per agent message): a buyer
    is re-derived from its whole history on every new event, and canned replies repeat
    across buyers."""
    found = plan.texts.get(text)
    if found is None:
        chars, emojis = text_measures(text)
        folded = text.casefold()  # both sides folded: the plan folds its words once
        words = tuple((w, n) for w in plan.folded_forbidden_words if (n := folded.count(w)))
        found = _Text(chars, emojis, any(p in text for p in plan.greeting_phrases), words)
        if len(plan.texts) >= _TEXTS:
            plan.texts.clear()  # bounded: a cold memo only costs the checks again
        plan.texts[text] = found
    return found


_TEXTS = 1 << 16
_TEXT = attrgetter("text")
_MSG_TYPE = attrgetter("msg_type")
_EMOJIS = attrgetter("emojis")

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
        for m, text in zip(s.agent_messages, s.texts, strict=True)
        if text.chars < least and m.msg_type == "text"
    ]


def _min_emojis(s: _Session) -> Sequence[_Hit]:
    agent = s.agent_messages
    if not agent:  # an unanswered session is judged by unanswered/closing_by_agent only
        return _NO_HITS
    # count_emojis of text.py, read from the session's texts.
    total = sum(map(_EMOJIS, s.texts)) + list(map(_MSG_TYPE, agent)).count("emoji")
    return [(None, 1, None)] if total < s.plan.min_emoji_count else _NO_HITS


def _greeting(s: _Session) -> Sequence[_Hit]:
    agent = s.agent_messages
    if agent and not s.texts[0].greets:
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
    return [
        (m.event_id, n, word)
        for m, text in zip(s.agent_messages, s.texts, strict=True)
        for word, n in text.words
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
    # text -> what the rules above read of it (_read), shared by every plan with the same
    # phrases and words: a shop's rules are parsed anew for every batch.
    texts: dict[str, _Text] = field(compare=False, repr=False)


# id(rules) -> (rules, plan). Holding the rules keeps the id from being reused; a shop's
# rules object lives as long as its context, so this sees a handful of entries.
_PLANS: dict[int, tuple[QaRules, _Plan]] = {}
# (greeting phrases, folded forbidden words) -> the texts memo of the plans that have them.
_TEXT_MEMOS: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, _Text]] = {}


def _plan(rules: QaRules) -> _Plan:
    cached = _PLANS.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    configs = [(rule, rules[rule]) for rule in RULES]
    params = (rules.greeting_phrases, tuple(w.casefold() for w in rules.forbidden_words))
    texts = _TEXT_MEMOS.get(params)
    if texts is None:
        if len(_TEXT_MEMOS) >= 64:
            _TEXT_MEMOS.clear()
        texts = _TEXT_MEMOS[params] = {}
    plan = _Plan(
        checks=tuple((r, _CHECKS[r], c.penalty, c.notify) for r, c in configs if c.enabled),
        min_chars=rules.min_chars,
        min_emoji_count=rules.min_emoji_count,
        greeting_phrases=params[0],
        folded_forbidden_words=params[1],
        texts=texts,
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
    plan = _plan(rules)
    texts = [_read(text, plan) for text in map(_TEXT, agent)]
    session = _Session(messages, questions, plan, slow_reply_us, agent, texts)
    violations: list[Violation] = []
    penalties = 0
    for rule, check, penalty, notify in session.plan.checks:
        for event_id, n, detail in check(session):
            violations.append(Violation(rule, event_id, n, n * penalty, notify, detail))
            penalties += n * penalty
    return QaResult(max(0, 100 - penalties), tuple(violations))
