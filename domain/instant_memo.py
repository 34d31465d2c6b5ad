"""Memos keyed by instants, bounded in two generations.

Scoring re-derives a buyer from its whole history on every new event, so it asks for the
same messages' local days (domain.days.ZoneDays) and next business-hours openings
(domain.business_hours.Openings) again and again; a dict lookup by the instant answers
them (one C-level lookup, the subclass's `__missing__` computing a miss).

Bounded, such a memo used to be cleared whole when full (2¹⁸ instants). At live rates it
kept growing for most of an hour before the first clear: one entry per distinct
timestamp, ~150 bytes with its datetime key, 35–40 MB a memo, which the soak saw as a
service's resident memory creeping up (docs/operations.md, "Soak"). Two generations
keep what is asked again without clearing it: when the current generation is full it
becomes the older one (the one before it is dropped), and a key found only in the
older one is carried into the current one. So a memo holds at most 2 × GENERATION
entries (a subclass's own), and the instants of the buyers being re-derived stay in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

V = TypeVar("V")


class InstantMemo(dict[datetime, V], Generic[V]):
    """A dict memo (the subclass's `__missing__` computes) bounded in two generations of
    GENERATION entries."""

    __slots__ = ("_older",)
    GENERATION = 1 << 16

    def __init__(self) -> None:
        super().__init__()
        self._older: dict[datetime, V] = {}

    def recalled(self, at: datetime) -> V | None:
        """The older generation's value (carried into the current one), or None."""
        value = self._older.get(at)
        if value is not None:
            self.keep(at, value)
        return value

    def keep(self, at: datetime, value: V) -> None:
        if len(self) >= self.GENERATION:
            self._older = dict(self)
            self.clear()
        self[at] = value
