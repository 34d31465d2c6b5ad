"""The scoring worker's garbage-collector policy.

A batch allocates millions of objects (records, timelines, facts, parts), nearly all
freed by reference counting the moment the batch is done; what survives it (cached
timelines, the input memo) lives for many batches. CPython's generational collector
would traverse both again and again: with default thresholds it took a third of the
worker's CPU, and with a cache of ~10^6 long-lived objects the full collections alone
still took a fifth. So: no automatic collection during a batch; after it, the survivors
are frozen, never traversed again; every few minutes, one full collection over everything.

Freezing without a young collection first also freezes the few cycles a batch leaves
behind (about fifty objects a batch in the bench); the full collection frees them. A
young collection over a batch's survivors (the timelines it cached: ~10^6 objects) cost
30-50 ms a batch, for those fifty.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

FULL_EVERY_SECONDS = 300.0


class Collector:
    def __init__(self, full_every: float = FULL_EVERY_SECONDS) -> None:
        self.full_every = full_every
        self._last_full = time.monotonic()

    def start(self) -> None:
        """Freeze what startup allocated (modules, settings): it lives for ever. Between
        batches (fetching, idle) young collections stay rare."""
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run one batch without automatic collections, then settle its survivors."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            self._settle()
            if was_enabled:
                gc.enable()

    def _settle(self) -> None:
        if time.monotonic() - self._last_full >= self.full_every:
            gc.unfreeze()
            gc.collect()
            self._last_full = time.monotonic()
        gc.freeze()
