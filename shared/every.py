"""Work a service loop does now and then: `Every(seconds).due()` is true once per interval.

The loops ask between batches (the scoring worker's retention purge and heap trim, the
catch-up sweep, the consumers' log checks), so an interval is a lower bound: a long batch
delays the work, and the next interval counts from when it was due-and-asked, not from
a fixed schedule that a slow loop would then run several times in a row.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Every:
    """True once every `seconds` of `clock`; the first time after `first` seconds
    (default: one interval)."""

    __slots__ = ("_next", "clock", "seconds")

    def __init__(
        self,
        seconds: float,
        *,
        first: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._next = clock() + (seconds if first is None else first)

    def due(self, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        if now < self._next:
            return False
        self._next = now + self.seconds
        return True
