"""Work done now and then (shared/every.py): once per interval of an injected clock,
counted from when it was last due; the first time after `first`."""

from __future__ import annotations

from shared.every import Every


def test_due_once_per_interval_of_the_clock() -> None:
    now = [100.0]
    every = Every(60, clock=lambda: now[0])
    assert not every.due()
    now[0] = 159.9
    assert not every.due()
    now[0] = 160.0
    assert every.due() and not every.due()
    now[0] = 219.0
    assert not every.due()
    now[0] = 220.0
    assert every.due()


def test_a_late_ask_counts_the_next_interval_from_itself() -> None:
    now = [0.0]
    every = Every(10, clock=lambda: now[0])
    now[0] = 35.0  # three intervals late: due once, not three times
    assert every.due() and not every.due()
    now[0] = 44.9
    assert not every.due()
    assert every.due(now=45.0)  # a time given instead of the clock's


def test_first_and_a_zero_interval() -> None:
    now = [5.0]
    assert Every(3600, first=0, clock=lambda: now[0]).due()
    always = Every(0.0, clock=lambda: now[0])
    assert always.due() and always.due()
