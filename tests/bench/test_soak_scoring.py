"""What the soak reads off scoring's metrics endpoint each minute (bench/soak.py
`scoring_samples`, `Scoring.since`): records, lag, time in batches, cache hits."""

from __future__ import annotations

from bench import soak

_TEXT = """# HELP scoring_events_total cs.events.v1 records processed
# TYPE scoring_events_total counter
scoring_events_total 120000.0
scoring_events_created 1.7e+09
scoring_batch_seconds_bucket{le="0.5"} 230.0
scoring_batch_seconds_sum 42.5
scoring_batch_seconds_count 240.0
scoring_timeline_cache_hits_total 70000.0
scoring_timeline_cache_misses_total 30000.0
scoring_consumer_lag{partition="3",topic="cs.events.v1"} 400.0
scoring_consumer_lag{partition="5",topic="cs.events.v1"} 58.0
"""


def test_the_counters_and_the_lag_over_partitions_are_read() -> None:
    read = soak.scoring_samples(_TEXT)
    assert read == soak.Scoring(scored=120000, lag=458, busy_s=42.5, hits=70000, misses=30000)
    assert read.hit_rate == 0.7
    assert soak.scoring_samples("") == soak.Scoring()  # not answering: zeros
    assert soak.Scoring().hit_rate is None


def test_a_minute_is_the_growth_and_a_restart_counts_from_zero() -> None:
    before = soak.Scoring(scored=1000, lag=5, busy_s=10, hits=800, misses=200)
    now = soak.Scoring(scored=4000, lag=7, busy_s=40, hits=1700, misses=1300)
    assert now.since(before) == soak.Scoring(3000, 7, 30, 900, 1100)
    restarted = soak.Scoring(scored=500, lag=9, busy_s=2, hits=100, misses=50)
    assert restarted.since(before) == restarted
    assert (soak.percent(None), soak.percent(0.456)) == ("-", "46%")
