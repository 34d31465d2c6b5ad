"""Scoring's memory gauges read at each scrape (services/scoring/metrics.py): CPython's
allocated blocks and glibc's heap, held, in use and free."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.scoring import metrics  # noqa: F401 - registers the gauges
from shared import heap


@pytest.mark.skipif(heap._MALLINFO2 is None, reason="needs glibc ≥ 2.33")
def test_the_heap_is_exported_in_its_three_states() -> None:
    held = [bytes(4096) + bytes([i % 256]) for i in range(5_000)]  # ~20 MB via malloc
    read = {
        state: REGISTRY.get_sample_value("scoring_malloc_bytes", {"state": state})
        for state in ("held", "in_use", "free")
    }
    assert read["in_use"] is not None and read["in_use"] > 20 * 2**20, read
    assert read["held"] is not None and read["held"] >= read["in_use"]
    assert read["free"] is not None and read["free"] >= 0
    assert (REGISTRY.get_sample_value("scoring_python_allocated_blocks") or 0) > 0
    assert len(held) == 5_000
