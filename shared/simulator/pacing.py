"""Holding a live stream's timeline at a rate of events.

A journey's events spread over minutes (chat) to days (balance, after-sale, refunds), so a
live timeline that starts now emits far fewer events per arrival at first than in the
long run: at 2 000 events/s asked, the first minutes carried 480, 750, 960, 1 090 a
second (measured), and producers paced by the timeline sent no more.

A journey puts all its events on the timeline when it starts, so what the next window of
simulated time will carry from journeys already started is known (`Stream.pending_before`).
`hold_rate` plans each window: the arrivals it needs for the rest are what is missing
divided by the events an arrival adds within its own window (measured on the windows
before). The density is counted in simulated time, so a producer that falls behind does
not count as a thin timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from shared.simulator.generator import Stream
from shared.simulator.model import SimEvent

#: simulated milliseconds per planned window (the first is shorter: it measures)
WINDOW_MS = 5_000
FIRST_WINDOW_MS = 1_000
#: weight of the newest window in the estimate of events per arrival within its window
NEWEST = 0.3


@dataclass
class WindowPlan:
    """Arrivals per shop per hour for the next window (pure).

    `events_per_s` asked; `own_events` what one arrival adds to its own window (an
    estimate, refined after each window by `learn`); bounded by `floor` and `ceiling`."""

    events_per_s: float
    shops: int
    floor: float
    ceiling: float
    own_events: float | None = None

    def learn(self, events: int, committed: int, arrivals: int) -> None:
        """A window ended with `events`, of which `committed` were due when it began; the
        rest came from its `arrivals`."""
        if arrivals <= 0:
            return
        own = max(events - committed, 0) / arrivals
        self.own_events = (
            own if self.own_events is None else (NEWEST * own + (1 - NEWEST) * self.own_events)
        )

    def arrivals_per_hour(self, committed: int, window_ms: int, current: float) -> float:
        """For a window `committed` events of which are due already (`current` until an
        arrival has been measured)."""
        if not self.own_events:
            return current
        missing = max(self.events_per_s * window_ms / 1000.0 - committed, 0.0)
        per_hour = missing / self.own_events * 3_600_000.0 / window_ms / self.shops
        return min(self.ceiling, max(self.floor, per_hour))


def hold_rate(stream: Stream, events_per_s: float) -> Iterator[SimEvent]:
    """`stream`'s events, its arrivals planned window by window of simulated time so that
    each carries `events_per_s`."""
    nominal = stream.arrivals_per_hour
    plan = WindowPlan(events_per_s, stream.shops, floor=nominal / 50, ceiling=nominal * 50)
    window_end: int | None = None
    count = committed = arrivals_then = 0
    for ev in stream:
        if window_end is None:
            window_end = ev.at_ms + FIRST_WINDOW_MS
            committed = stream.pending_before(window_end) + 1
            arrivals_then = stream.arrivals
        while ev.at_ms >= window_end:
            plan.learn(count, committed, stream.arrivals - arrivals_then)
            window_end += WINDOW_MS
            # `ev` is popped already: it is due in this window (or a later one)
            committed = stream.pending_before(window_end) + (ev.at_ms < window_end)
            arrivals_then = stream.arrivals
            count = 0
            rate = plan.arrivals_per_hour(committed, WINDOW_MS, stream.arrivals_per_hour)
            stream.retune(rate)
        count += 1
        yield ev
