"""Which buyers' stored results already match their current inputs (skip re-deriving them).

A buyer's facts are a pure function of its raw events, the shop settings, the QA rules and
the watermark, and the watermark only matters once it passes `wake_at` (see
docs/definitions.md §1). So when a batch touches a buyer whose loaded timeline has exactly
the event ids it had at its last committed derivation, under equal settings and rules, and
the new watermark has not passed that derivation's wake_at, re-deriving would write the
very same rows: zero rollup deltas, the same facts, the same buyer_state.

That is the common case while catching up a backlog: ingest stores events in Postgres
before forwarding them, so the first derivation of a buyer already sees the events that
later records of the batch stream will name again.

The memo only ever describes derivations whose transaction committed (the worker records
them after the commit). Whoever else writes the buyer's rows meanwhile (a rescore, another
worker after a rebalance) derives from a subset of the same ever-growing event set, so an
equal digest still means equal inputs; the worker clears the memo on every rebalance anyway.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

import orjson

from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring.repository import BuyerKey
from services.scoring.timeline_loader import Timeline

# Buyers; ~410 bytes each with the key, digest and watermark objects (tracemalloc), so
# 50 000 is ~20 MB. A backlog re-touches a buyer within a few batches (≤ 20 000 records
# each), which this covers; live traffic hardly re-touches an unchanged buyer at all.
CAPACITY = 50_000
_EVENT_ID = attrgetter("event_id")


def digest(timeline: Timeline) -> bytes:
    """A 128-bit digest of the timeline's event ids (event ids are unique in a shop, and
    ingest keeps the first body of an id, so the ids determine the events). Computed once
    per timeline until an event is appended (a cached timeline is digested every batch)."""
    if timeline.digest is None:
        ids = [
            sorted(map(_EVENT_ID, timeline.messages)),  # C-level: no generator frames
            sorted(map(_EVENT_ID, timeline.order_events)),
            sorted(map(_EVENT_ID, timeline.reviews)),
        ]
        timeline.digest = hashlib.blake2b(orjson.dumps(ids), digest_size=16).digest()
    return timeline.digest


class Inputs(NamedTuple):
    """What one committed derivation of a buyer was computed from (a NamedTuple: one is
    made per derivation, several times cheaper than a frozen dataclass)."""

    digest: bytes
    settings: ShopSettings
    rules: QaRules
    wake_at: datetime | None

    def still_valid(
        self, digest: bytes, settings: ShopSettings, rules: QaRules, watermark: datetime
    ) -> bool:
        if self.wake_at is not None and self.wake_at < watermark:
            return False  # a session closes or an inquiry is lost: facts change
        return self.digest == digest and self.settings == settings and self.rules == rules


class InputMemo:
    """A bounded LRU of the inputs of buyers' last committed derivations."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._inputs: OrderedDict[BuyerKey, Inputs] = OrderedDict()

    def __len__(self) -> int:
        return len(self._inputs)

    def unchanged(
        self,
        key: BuyerKey,
        digest: bytes,
        settings: ShopSettings,
        rules: QaRules,
        watermark: datetime,
    ) -> bool:
        """Whether the stored results of `key` are what deriving these inputs would give."""
        known = self._inputs.get(key)
        if known is None or not known.still_valid(digest, settings, rules, watermark):
            return False
        self._inputs.move_to_end(key)
        return True

    def remember(self, derived: Iterable[tuple[BuyerKey, Inputs]]) -> None:
        """Record committed derivations (call only after their transaction committed)."""
        for key, inputs in derived:
            self._inputs[key] = inputs
            self._inputs.move_to_end(key)
        while len(self._inputs) > self.capacity:
            self._inputs.popitem(last=False)

    def forget(self, keys: Iterable[BuyerKey]) -> None:
        """Drop what is known of these buyers: their next derivation runs whatever their
        inputs (an input the memo does not see changed, e.g. the shop's agents)."""
        for key in keys:
            self._inputs.pop(key, None)

    def clear(self) -> None:
        self._inputs.clear()
