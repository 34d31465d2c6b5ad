"""QA violations as the after-batch hooks see them (SPEC §8), pure.

A violation's identity is (shop, rule, message, occurrence): the event_id of the message
it is stored with and its occurrence number (1, 2, …) among the rule's hits on that
message. Nothing else — not the session's start, which moves when an earlier message
arrives late — so the same violation keeps its identity however its events arrive. A
violation judged on the whole session (min_emojis, stored with no message) takes the
session's agent and start as its message key: a session that changes shape is a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

# (rule, message key, occurrence): a violation's identity within its shop.
Identity = tuple[str, str, int]


def session_key(agent_id: str, session_started_at: datetime) -> str:
    """The message key of a violation judged on the whole session (its start in UTC,
    whatever offset it was read with)."""
    return f"session:{agent_id}:{session_started_at.astimezone(UTC).isoformat()}"


@dataclass(frozen=True, slots=True)
class ViolationNotice:
    """One occurrence of a violation a scoring batch stored, with where it happened.

    The scoring shell builds one per occurrence of every stored violation, notify on or
    off: the notice ledger notifies those with notify on, and withdraws a notified one
    only once it is gone."""

    agent_id: str
    buyer_id: str
    session_started_at: datetime
    day: date
    rule: str
    message_event_id: str | None
    occurrence: int  # 1-based, among the rule's hits on this message
    penalty: int  # of this occurrence
    notify: bool
    detail: str | None = None

    @property
    def message_key(self) -> str:
        return self.message_event_id or session_key(self.agent_id, self.session_started_at)

    @property
    def identity(self) -> Identity:
        return (self.rule, self.message_key, self.occurrence)

    def event_id(self, shop_id: str, generation: int = 0) -> str:
        """Derived from the identity only; `generation` > 0 when a withdrawn violation
        appeared again (a new notice)."""
        return notice_event_id("evt_qa_", shop_id, self.identity, generation)

    def data(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message_event_id": self.message_event_id,
            "message_key": self.message_key,
            "occurrence": self.occurrence,
            "agent_id": self.agent_id,
            "buyer_id": self.buyer_id,
            "session_started_at": self.session_started_at.isoformat(),
            "day": self.day.isoformat(),
            "penalty": self.penalty,
            "detail": self.detail,
        }


def notice_event_id(prefix: str, shop_id: str, identity: Identity, generation: int) -> str:
    rule, message_key, occurrence = identity
    parts = [shop_id, rule, message_key, str(occurrence)]
    if generation:
        parts.append(str(generation))
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return prefix + digest


class BuyerViolations:
    """What one re-derived buyer holds now: the violation occurrences of its closed
    sessions under rules with notify on (`notices`), the identities of all of them
    (`identities()`, notify on or off), and the message keys of its open sessions
    (`pending()`: not judged yet, so a notified violation there is neither confirmed
    nor withdrawn until the session closes).

    The last two are computed only when asked (and then kept): the notice ledger asks only
    for buyers it has notified before, and most re-derived buyers have none."""

    __slots__ = ("_identities", "_pending", "buyer_id", "notices")

    def __init__(
        self,
        buyer_id: str,
        notices: Sequence[ViolationNotice],
        identities: Callable[[], Iterable[Identity]],
        pending: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.buyer_id = buyer_id
        self.notices = tuple(notices)
        self._identities: Callable[[], Iterable[Identity]] | frozenset[Identity] = identities
        self._pending: Callable[[], Iterable[str]] | frozenset[str] = pending

    @classmethod
    def of(
        cls, buyer_id: str, present: Sequence[ViolationNotice], pending: Iterable[str] = ()
    ) -> BuyerViolations:
        """From every occurrence (notify on or off), eagerly."""
        keys = frozenset(pending)
        return cls(
            buyer_id,
            [n for n in present if n.notify],
            lambda: [n.identity for n in present],
            lambda: keys,
        )

    def identities(self) -> frozenset[Identity]:
        if not isinstance(self._identities, frozenset):
            self._identities = frozenset(self._identities())
        return self._identities

    def pending(self) -> frozenset[str]:
        if not isinstance(self._pending, frozenset):
            self._pending = frozenset(self._pending())
        return self._pending


@dataclass(frozen=True, slots=True)
class ViolationReport:
    """The violations of the buyers a batch (or a rescore) re-derived, for one shop.
    `whole_shop`: every buyer of the shop was re-derived (a rescore), so a notified
    violation of a buyer not listed is gone too."""

    buyers: tuple[BuyerViolations, ...] = ()
    whole_shop: bool = False
