"""Prometheus metrics of ingest (served on INGEST_METRICS_PORT; 0 = off)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

EVENTS_IN = Counter("ingest_events_in_total", "Records consumed from the input topics", ["topic"])
STORED = Counter("ingest_events_stored_total", "Valid events stored (first of their event_id)")
FORWARDED = Counter("ingest_events_forwarded_total", "Events produced to cs.events.v1")
REPLAYED = Counter(
    "ingest_events_reforwarded_total",
    "Events re-processed after a crash whose stored row has the same source (forwarded again)",
)
DUPLICATES = Counter("ingest_duplicates_total", "Valid events dropped as repeats of an event_id")
DEAD_LETTERS = Counter("ingest_dead_letters_total", "Rejected records", ["reason"])
BATCH_SECONDS = Histogram(
    "ingest_batch_seconds",
    "Time from a batch's arrival to its offset commit",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
COMMIT_FAILURES = Counter(
    "ingest_commit_failures_total", "Offset commits lost to a rebalance (the batch is redone)"
)
LAG = Gauge("ingest_consumer_lag", "Records behind the log end", ["topic", "partition"])


def serve(port: int) -> bool:
    """Start the exposition endpoint unless port is 0."""
    if port == 0:
        return False
    start_http_server(port)
    return True
