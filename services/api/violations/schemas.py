"""QA violations (SPEC §6) for drill-down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, Field


class ViolationOut(BaseModel):
    buyer_id: str
    agent_id: str
    session_started_at: datetime
    seq: int = Field(description="Position among the session's violations")
    day: date = Field(description="The session's local day")
    rule: str
    message_event_id: str | None = Field(description="The offending message, if one")
    occurrences: int
    penalty: int
    detail: str | None
    transcript_url: str


@dataclass(frozen=True, slots=True)
class ViolationFilters:
    """What a list (or its file) holds: a shop's violations, narrowed by these."""

    shop_id: str
    rule: str | None = None
    agent_id: str | None = None
    start: date | None = None  # the session's local day, inclusive
    end: date | None = None
