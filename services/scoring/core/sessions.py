"""Sessions (会话, SPEC §4): one buyer with one agent, split where the gap exceeds
session_gap; closed once the watermark is more than session_gap past the last message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from operator import attrgetter, sub

from .model import ChatMessage

_SENT_AT = attrgetter("sent_at")


def split_sessions(messages: Sequence[ChatMessage], gap: timedelta) -> list[list[ChatMessage]]:
    """Cut one agent's ordered messages with a buyer into sessions.

    Strictly more than `gap` splits: exactly 1800 s apart is still the same session, and
    timedelta arithmetic is exact to the microsecond, so 1800.000001 s splits.
    """
    if not messages:
        return []
    # Cut positions first, then slices: a comparison per gap instead of an append per
    # message (this runs on every derivation, most sessions have many messages).
    times = list(map(_SENT_AT, messages))
    steps = list(map(sub, times[1:], times))  # C-level: gaps between neighbours
    if not steps or max(steps) <= gap:
        return [list(messages)]
    cuts = [i for i, step in enumerate(steps, 1) if step > gap]
    bounds = [0, *cuts, len(messages)]
    return [list(messages[a:b]) for a, b in pairwise(bounds)]


def is_closed(last_message_at: datetime, watermark: datetime, gap: timedelta) -> bool:
    """Closed once the watermark is MORE than `gap` past the last message (strict)."""
    return watermark - last_message_at > gap


def last_agent_index(messages: Sequence[ChatMessage]) -> int:
    """Position of a session's last agent message (-1: none). A message before it has a
    later agent message in its session: it was replied (unreplied_buyers looks at all
    buyer messages, not only questions)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].sender == "agent":
            return index
    return -1
