"""Oracle of SPEC §6 automatic QA for one closed session."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.oracle.events import Msg
from tests.oracle.text import char_count, emoji_matches, forbidden_occurrences

RULE_NAMES = (
    "closing_by_agent",
    "min_reply_length",
    "min_emojis",
    "greeting",
    "slow_reply",
    "unanswered",
    "forbidden_words",
)

#: SPEC §6 defaults. ``slow_reply.seconds`` None = the shop's slow_reply_seconds.
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "closing_by_agent": {"enabled": True, "penalty": 5},
    "min_reply_length": {"enabled": True, "penalty": 2, "min_chars": 5},
    "min_emojis": {"enabled": True, "penalty": 3, "min_count": 3},
    "greeting": {
        "enabled": True,
        "penalty": 3,
        "phrases": ["您好", "你好", "亲", "欢迎", "在的"],
    },
    "slow_reply": {"enabled": True, "penalty": 2, "seconds": None},
    "unanswered": {"enabled": True, "penalty": 5},
    "forbidden_words": {
        "enabled": True,
        "penalty": 10,
        "words": ["滚", "傻", "白痴", "不知道", "爱买不买", "自己看"],
    },
}


def resolve_rules(overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Defaults with per-rule overrides merged key by key."""
    rules = copy.deepcopy(DEFAULT_RULES)
    for name, over in (overrides or {}).items():
        if name not in rules:
            raise KeyError(f"unknown QA rule {name!r}")
        rules[name].update(over)
    return rules


@dataclass(frozen=True)
class Question:
    msg: Msg
    response: Msg | None
    # SPEC §11 business hours: when the question's clock starts (its next opening when
    # asked while closed); None = the question's own time, no floor at 0 needed.
    opens_us: int | None = None

    @property
    def response_us(self) -> int | None:
        if self.response is None:
            return None
        if self.opens_us is None:
            return self.response.t - self.msg.t
        return max(0, self.response.t - self.opens_us)


def score_session(
    msgs: list[Msg],
    questions: list[Question],
    rules: Mapping[str, Mapping[str, Any]],
    shop_slow_us: int,
) -> tuple[int, dict[str, int]]:
    """(score, violation occurrences per rule) for one closed session (msgs in §2 order)."""
    agent_msgs = [m for m in msgs if m.sender == "agent"]
    found = dict.fromkeys(RULE_NAMES, 0)

    if msgs[-1].sender != "agent":
        found["closing_by_agent"] = 1
    min_chars = int(rules["min_reply_length"]["min_chars"])
    found["min_reply_length"] = sum(
        1 for m in agent_msgs if m.msg_type == "text" and char_count(m.text) < min_chars
    )
    if agent_msgs:
        emojis = sum(len(emoji_matches(m.text)) for m in agent_msgs)
        emojis += sum(1 for m in agent_msgs if m.msg_type == "emoji")
        if emojis < int(rules["min_emojis"]["min_count"]):
            found["min_emojis"] = 1
        first_text = agent_msgs[0].text
        if not any(p in first_text for p in rules["greeting"]["phrases"]):
            found["greeting"] = 1
    slow_seconds = rules["slow_reply"]["seconds"]
    slow_us = shop_slow_us if slow_seconds is None else int(slow_seconds) * 1_000_000
    for q in questions:
        rus = q.response_us
        if rus is None:
            found["unanswered"] += 1
        elif rus > slow_us:
            found["slow_reply"] += 1
    words = list(rules["forbidden_words"]["words"])
    found["forbidden_words"] = sum(forbidden_occurrences(m.text, words) for m in agent_msgs)

    penalties = 0
    for name in RULE_NAMES:
        if not rules[name]["enabled"]:
            found[name] = 0
        penalties += found[name] * int(rules[name]["penalty"])
    return max(0, 100 - penalties), found
