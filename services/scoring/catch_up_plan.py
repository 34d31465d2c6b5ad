"""When a worker catches up which shops from the raw tables (catch_up.py says how).

Shops are queued for a catch-up when their partition starts at its first record on
assignment (another log, or nothing stored) or its log changed under the worker (what the
old log held beyond the stored offset is found this way), and every `sweep_s` for all the
worker's partitions: that keeps what a later catch-up must read down to the events of one
sweep interval (plus whatever no record ever brought). Steps run between record batches,
when the consumer has nothing new (a backlog's records come first: their events are then
known covered) or at least every `step_every_s`, a few dozen shops and `rows_per_step`
rows each at a time, so a long catch-up never holds up the stream or a rebalance.

While the worker is behind its logs (more than `behind_records` unread), the timed steps
wait: what ingest stored lately is then mostly still ahead in the logs, so a step would
derive those buyers now and their records again soon after, and each such step took
minutes in a 2 000 events/s soak, which only put the worker further behind. Once it has
caught up (or is idle), the queued shops are stepped and their records are known covered.

The worker remembers the event ids of the records it committed (`seen`): a catch-up
skips them, as their buyers were derived with them already.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from services.scoring.timeline_cache import Arrival
from shared.every import Every

SWEEP_S = 10.0
STEP_EVERY_S = 30.0
SHOPS_PER_STEP = 64
ROWS_PER_STEP = 5_000  # per table and shop: a step holds up the next batch this long
SEEN_PER_SHOP = 200_000  # beyond that, forget: a catch-up then re-checks (never wrong)
BEHIND_RECORDS = 20_000  # unread records over the worker's partitions: timed steps wait


class CatchUpPlan:
    def __init__(
        self,
        *,
        sweep_s: float = SWEEP_S,
        step_every_s: float = STEP_EVERY_S,
        shops_per_step: int = SHOPS_PER_STEP,
        rows_per_step: int = ROWS_PER_STEP,
        behind_records: int = BEHIND_RECORDS,
    ) -> None:
        self.step_every_s = step_every_s
        self.shops_per_step = shops_per_step
        self.rows_per_step = rows_per_step
        self.behind_records = behind_records
        self.lag: dict[object, int] = {}  # partition → records behind its log end
        self.pending: dict[str, None] = {}  # an ordered set: the oldest first
        self.seen: dict[str, set[str]] = {}
        self._sweep = Every(sweep_s)
        self._last_step = time.monotonic()

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, shop_ids: Iterable[str]) -> None:
        for shop_id in shop_ids:
            self.pending.setdefault(shop_id, None)

    def clear(self) -> None:
        """On (re)assignment: the queue is rebuilt for the new partitions."""
        self.pending.clear()
        self.seen.clear()
        self.lag.clear()

    def note_lag(self, partition: object, records: int) -> None:
        """After a batch: how far the partition's last record is from its log end."""
        self.lag[partition] = records

    @property
    def behind(self) -> bool:
        return sum(self.lag.values()) > self.behind_records

    def remember(self, arrivals: Iterable[Arrival]) -> None:
        """The events of a committed batch's records."""
        seen = self.seen
        for shop_id, event_id, _, _ in arrivals:
            ids = seen.get(shop_id)
            if ids is None:
                ids = seen[shop_id] = set()
            elif len(ids) >= SEEN_PER_SHOP:
                ids.clear()
            ids.add(event_id)

    def sweep_due(self, now: float | None = None) -> bool:
        return self._sweep.due(now)

    def step_due(self, *, idle: bool, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if not self.pending:
            return False
        return idle or (not self.behind and now - self._last_step >= self.step_every_s)

    def take(self) -> list[str]:
        """The next shops to step (they stay queued until finished says they are done)."""
        self._last_step = time.monotonic()
        return list(self.pending)[: self.shops_per_step]

    def finished(self, stepped: Sequence[str], done: Iterable[str]) -> None:
        """After the step committed: done shops leave the queue (and their seen ids, now
        below raw_covered_xid); the others go to its end."""
        finished = set(done)
        for shop_id in stepped:
            self.pending.pop(shop_id, None)
            if shop_id in finished:
                self.seen.pop(shop_id, None)
            else:
                self.pending[shop_id] = None
