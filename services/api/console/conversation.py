"""A transcript (services/api/transcripts) laid out for reading: messages in time order
with session headers between them, slow responses and unanswered questions tagged,
bot/system messages marked to be greyed, violations named on their messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.days import zone

from ..transcripts.schemas import Transcript, TranscriptMessage, TranscriptSession


@dataclass
class Line:
    kind: str  # "session" | "message" | "order"
    at: datetime
    local: str
    session: TranscriptSession | None = None
    message: TranscriptMessage | None = None
    order: Any = None
    tags: list[str] = field(default_factory=list)  # slow:<seconds>, unanswered, rule names


def lines(
    transcript: Transcript, *, slow_seconds: int, only_agent: str | None = None
) -> list[Line]:
    """The transcript as lines; `only_agent`: that agent's sessions and messages (and the
    buyer's and bots' messages) only."""
    tz = zone(transcript.timezone)
    sessions = [s for s in transcript.sessions if only_agent in (None, s.agent_id)]
    slow: dict[str, float] = {}
    unanswered: set[str] = set()
    for s in sessions:
        for r in s.responses:
            if r.response_event_id is None:
                unanswered.add(r.question_event_id)
            elif r.response_seconds is not None and r.response_seconds > slow_seconds:
                slow[r.response_event_id] = r.response_seconds
    out: list[Line] = []
    for s in sessions:
        out.append(Line("session", s.started_at, _local(s.started_at, tz), session=s))
    for m in transcript.messages:
        if only_agent is not None and m.agent_id not in (None, only_agent):
            continue
        tags = [f"slow:{slow[m.event_id]:.0f}"] if m.event_id in slow else []
        if m.event_id in unanswered:
            tags.append("unanswered")
        tags.extend(m.violations)
        out.append(Line("message", m.sent_at, _local(m.sent_at, tz), message=m, tags=tags))
    for o in transcript.orders:
        out.append(Line("order", o.occurred_at, _local(o.occurred_at, tz), order=o))
    order = {"session": 0, "message": 1, "order": 2}
    out.sort(key=lambda line: (line.at, order[line.kind]))
    return out


def _local(instant: datetime, tz: Any) -> str:
    return instant.astimezone(tz).strftime("%m-%d %H:%M:%S")
