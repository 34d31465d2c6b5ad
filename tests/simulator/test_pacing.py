"""A live timeline held at its rate of events from the start (shared.simulator.pacing):
without it, journeys whose later events are minutes to days away made the first minutes
of a 2 000 events/s demo carry 480–1 090 a second."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from shared.simulator import SimConfig, generate
from shared.simulator.generator import Stream
from shared.simulator.pacing import WindowPlan, hold_rate
from tests.fixtures.clock import NOW


def live(rate: float) -> SimConfig:
    """The demo's live stream: flat arrivals sized for EVENTS_PER_ARRIVAL, starting now."""
    return SimConfig(
        seed=3,
        shop_ids=("demo-shop",),
        agents_per_shop=12,
        buyers_per_shop=3000,
        start=NOW,
        diurnal=False,
        arrivals_per_hour=rate * 3600 / 8.0,
        late_fraction=0.01,
        duplicate_fraction=0.005,
    )


def per_second(events_at: list[int], start: int, seconds: int, every: int) -> list[float]:
    counts = [0] * (seconds // every)
    for at in events_at:
        slot = (at - start) // (every * 1000)
        if 0 <= slot < len(counts):
            counts[slot] += 1
    return [c / every for c in counts]


def test_the_plain_timeline_starts_thin() -> None:
    config = live(500)
    start = config.start_ms()
    ats = [ev.at_ms for ev in generate(replace(config, now=NOW + timedelta(minutes=1)))]
    first = per_second(ats, start, 60, 60)[0]
    assert first < 0.5 * 500, "no longer thin: the pacing may not be needed"


def test_a_held_timeline_carries_its_rate_from_the_first_seconds() -> None:
    config = live(500)
    start = config.start_ms()
    ats = []
    for ev in hold_rate(Stream(config), 500):
        if ev.at_ms - start >= 120_000:
            break
        ats.append(ev.at_ms)
    rates = per_second(ats, start, 120, 15)
    assert all(440 <= r <= 560 for r in rates[1:]), rates  # within 12 % after 15 s
    assert 0.95 * 500 * 120 <= len(ats) <= 1.05 * 500 * 120


def test_the_same_config_is_the_same_stream_when_not_retuned() -> None:
    config = replace(live(50), now=NOW + timedelta(minutes=1))
    assert [e.value for e in Stream(config)] == [e.value for e in generate(config)]


def test_the_window_plan_fills_what_is_missing_with_what_an_arrival_adds() -> None:
    plan = WindowPlan(events_per_s=100, shops=2, floor=1.0, ceiling=1e9)
    assert plan.arrivals_per_hour(committed=0, window_ms=5000, current=7.0) == 7.0  # unknown
    plan.learn(events=300, committed=100, arrivals=100)  # two of its own per arrival
    assert plan.own_events == 2.0
    # 500 asked in 5 s, 300 due already: 100 arrivals in 5 s, 72 000/h over 2 shops
    assert plan.arrivals_per_hour(committed=300, window_ms=5000, current=7.0) == 36_000
    assert plan.arrivals_per_hour(committed=900, window_ms=5000, current=7.0) == 1.0  # floor
    plan.learn(events=100, committed=100, arrivals=0)  # no arrival: nothing learnt
    assert plan.own_events == 2.0
