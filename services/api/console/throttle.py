"""Failed sign-ins, counted per email and per client address in a sliding window.

In memory (one API process serves the console; a restart forgets, which only helps a
legitimate user). The clock is injected: tests pass a fixed one.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

MAX_FAILURES = 5  # per email
MAX_ADDRESS_FAILURES = 50  # per client address ("addr:" keys)
WINDOW = timedelta(minutes=15)
_MAX_KEYS = 100_000


def _limit(key: str) -> int:
    return MAX_ADDRESS_FAILURES if key.startswith("addr:") else MAX_FAILURES


class SignInThrottle:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[datetime]:
        times = self._failures[key]
        horizon = self.clock() - WINDOW
        while times and times[0] <= horizon:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        """Too many failures lately under any of the keys (email, address)."""
        return any(len(self._recent(k)) >= _limit(k) for k in keys)

    def failed(self, *keys: str) -> None:
        if len(self._failures) > _MAX_KEYS:
            self._failures.clear()
        for key in keys:
            self._recent(key).append(self.clock())

    def succeeded(self, email_key: str) -> None:
        self._failures.pop(email_key, None)
