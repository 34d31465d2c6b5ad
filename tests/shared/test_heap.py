"""Freed heap memory handed back (shared/heap.py): the pages a fragmented heap holds free
leave the resident set after release() (paced by shared/every.py: tests/shared/test_every.py)."""

from __future__ import annotations

import gc
import sys

import psutil
import pytest

from shared import heap


@pytest.mark.skipif(
    heap._TRIM is None or not sys.platform.startswith("linux"), reason="needs glibc"
)
def test_release_returns_the_free_pages_inside_the_heap() -> None:
    process = psutil.Process()
    # 1 KB objects go to malloc (above CPython's 512-byte pools); keeping every 16th one
    # pins the heap's top, so the freed ones are free pages in its middle.
    held = [bytes(1024) + bytes([i % 256]) for i in range(200_000)]
    kept = held[::16]
    del held
    gc.collect()
    before = process.memory_info().rss
    assert heap.release() is True
    after = process.memory_info().rss
    assert before - after > 100 * 2**20, (before, after)  # of the ~190 MB freed
    assert len(kept) == 12_500


@pytest.mark.skipif(heap._MALLINFO2 is None, reason="needs glibc ≥ 2.33")
def test_usage_counts_what_malloc_holds() -> None:
    before = heap.usage()
    held = [bytes(4096) + bytes([i % 256]) for i in range(10_000)]  # ~40 MB via malloc
    during = heap.usage()
    assert before is not None and during is not None
    assert during.in_use - before.in_use > 35 * 2**20, (before, during)
    assert during.held >= during.in_use
    del held
    gc.collect()
    after = heap.usage()
    assert after is not None and during.in_use - after.in_use > 35 * 2**20
