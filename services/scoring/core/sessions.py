"""Sessions (会话, SPEC §4): one buyer with one agent, split where the gap exceeds
session_gap; closed once the watermark is more than session_gap past the last message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from .model import ChatMessage


def split_sessions(messages: Sequence[ChatMessage], gap: timedelta) -> list[list[ChatMessage]]:
    """Cut one agent's ordered messages with a buyer into sessions.

    Strictly more than `gap` splits: exactly 1800 s apart is still the same session, and
    timedelta arithmetic is exact to the microsecond, so 1800.000001 s splits.
    """
    sessions: list[list[ChatMessage]] = []
    for message in messages:
        if sessions and message.sent_at - sessions[-1][-1].sent_at <= gap:
            sessions[-1].append(message)
        else:
            sessions.append([message])
    return sessions


def is_closed(last_message_at: datetime, watermark: datetime, gap: timedelta) -> bool:
    """Closed once the watermark is MORE than `gap` past the last message (strict)."""
    return watermark - last_message_at > gap


def replied_flags(messages: Sequence[ChatMessage]) -> list[bool]:
    """For every message of a session: is there a later agent message in the session?

    Used for unreplied_buyers, which looks at all buyer messages, not only questions.
    """
    last_agent = max((i for i, m in enumerate(messages) if m.sender == "agent"), default=-1)
    return [i < last_agent for i in range(len(messages))]
