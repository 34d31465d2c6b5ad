"""Prometheus metrics of the scoring process (served on SCORING_METRICS_PORT)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shared import heap

EVENTS = Counter("scoring_events_total", "cs.events.v1 records processed")
SKIPPED = Counter("scoring_events_skipped_total", "records that could not be read")
BATCHES = Counter("scoring_batches_total", "batches committed")
BATCH_SECONDS = Histogram(
    "scoring_batch_seconds",
    "time to process and commit one batch",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BUYERS_REDERIVED = Counter("scoring_buyers_rederived_total", "buyers re-derived from raw events")
BUYERS_UNCHANGED = Counter(
    "scoring_buyers_unchanged_total", "touched buyers whose stored results matched their inputs"
)
LAG = Gauge("scoring_consumer_lag", "records behind the log end", ["topic", "partition"])
RESCORE_BUYERS_DONE = Gauge("scoring_rescore_buyers_done", "buyers rescored", ["shop_id"])
RESCORE_BUYERS_TOTAL = Gauge("scoring_rescore_buyers_total", "buyers to rescore", ["shop_id"])
RESCORES = Counter("scoring_rescores_total", "rescore jobs finished", ["status"])

CATCH_UP_EVENTS = Counter(
    "scoring_catch_up_events_total",
    "stored raw events a catch-up found that no consumed record had covered",
)
CATCH_UP_PENDING = Gauge("scoring_catch_up_pending_shops", "shops queued for a catch-up")

TIMELINE_CACHE_HITS = Counter(
    "scoring_timeline_cache_hits_total", "re-derived buyers whose timeline was in memory"
)
TIMELINE_CACHE_MISSES = Counter(
    "scoring_timeline_cache_misses_total", "re-derived buyers whose timeline was read whole"
)
TIMELINE_EVENTS_APPENDED = Counter(
    "scoring_timeline_events_appended_total", "stored events appended to cached timelines"
)


TIMELINE_CACHE_BUYERS = Gauge("scoring_timeline_cache_buyers", "buyers' timelines cached")
TIMELINE_CACHE_EVENTS = Gauge("scoring_timeline_cache_events", "events in cached timelines")
INPUT_MEMO_BUYERS = Gauge("scoring_input_memo_buyers", "buyers whose derivation inputs are held")
# Where the resident memory is, read at each scrape: CPython's small objects (its own
# arenas) and glibc's heap (objects above 512 bytes), held and in use.
PYTHON_BLOCKS = Gauge("scoring_python_allocated_blocks", "CPython memory blocks allocated")
PYTHON_BLOCKS.set_function(sys.getallocatedblocks)


class _MallocBytes(Collector):
    """`scoring_malloc_bytes{state}`: glibc's heap held, in use and free, from one
    mallinfo2 walk per scrape (zeros where glibc lacks it)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("scoring_malloc_bytes", "glibc heap bytes", labels=["state"])
        for state, value in (heap.usage() or heap.Usage(0, 0, 0))._asdict().items():
            family.add_metric([state], float(value))
        yield family


REGISTRY.register(_MallocBytes())


def serve(port: int) -> None:
    """Start the exporter thread; port 0 means metrics are off."""
    if port:
        start_http_server(port)
