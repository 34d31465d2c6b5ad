"""A QA violation a scoring batch stored, as the after-batch hooks see it (SPEC §8): where
it happened, and its identity for the `qa.violation` notice (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ViolationNotice:
    """A violation the batch newly stored, with where it happened.

    The scoring shell builds one per stored violation (it may pass those with notify off:
    the alerts hook skips them).
    """

    agent_id: str
    buyer_id: str
    session_started_at: datetime
    day: date
    rule: str
    message_event_id: str | None
    occurrences: int
    penalty: int
    notify: bool
    detail: str | None = None

    def event_id(self, shop_id: str) -> str:
        """Deterministic: re-scoring the same session never notifies the same fact twice."""
        key = "\x1f".join(
            (
                shop_id,
                self.buyer_id,
                self.agent_id,
                self.session_started_at.isoformat(),
                self.rule,
                self.message_event_id or "",
                self.detail or "",
            )
        )
        return "evt_qa_" + hashlib.sha256(key.encode()).hexdigest()[:32]

    def data(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "agent_id": self.agent_id,
            "buyer_id": self.buyer_id,
            "session_started_at": self.session_started_at.isoformat(),
            "day": self.day.isoformat(),
            "message_event_id": self.message_event_id,
            "occurrences": self.occurrences,
            "penalty": self.penalty,
            "detail": self.detail,
        }
