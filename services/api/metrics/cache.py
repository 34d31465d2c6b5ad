"""An in-process LRU of serialised /v1/metrics responses that is never stale.

An entry is (shop, normalised query) -> (rollup_version, body). It is served only when
its version is at least the shop's rollup_version read by this request's authentication:
every transaction that changes what /v1/metrics returns bumps the version
(shared.rollup_version) together with the data, so the entry holds data at least as new
as what the request saw. A body computed after reading version v may hold data newer
than v (a bump committed in between), never older, so storing it under v is safe; a
request that read v before a bump may get the entry of v+1 (newer, never older).

Bounded by entry count and by bytes; one entry per (shop, query), so old versions do not
pile up. Concurrent misses of one (query, version) compute it once (single flight): when
a scoring batch bumps the version, the dashboards polling it cost one query, not one
each. The API serves requests on one event loop thread: no lock is needed.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024
# A single body above this share of the budget is not cached (it would evict everything).
MAX_ENTRY_SHARE = 4


@dataclass(frozen=True, slots=True)
class MetricsKey:
    shop_id: str
    start: date
    end: date
    granularity: str
    group_by: str
    agent_ids: tuple[str, ...] | None
    group: str | None

    @classmethod
    def of(
        cls,
        *,
        shop_id: str,
        start: date,
        end: date,
        granularity: str,
        group_by: str,
        agent_ids: Sequence[str] | None,
        group: str | None,
    ) -> MetricsKey:
        """Order and repeats of agent_id do not change the answer: one key for them all."""
        agents = tuple(sorted(set(agent_ids))) if agent_ids else None
        return cls(shop_id, start, end, granularity, group_by, agents, group)


class MetricsCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[MetricsKey, tuple[int, bytes]] = OrderedDict()
        self._bytes = 0
        # (key, version) -> the body being computed (None if that computation failed).
        self._flights: dict[tuple[MetricsKey, int], asyncio.Future[bytes | None]] = {}
        self.hits = 0
        self.misses = 0
        self.fast_served = 0  # answered by the fast path (fast_path.py), before routing

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: MetricsKey, version: int) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < version:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    async def get_or_compute(
        self, key: MetricsKey, version: int, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The cached body, the one a concurrent request is computing, or compute()'s."""
        body = self.get(key, version)
        if body is not None:
            return body
        flight = self._flights.get((key, version))
        if flight is not None:
            # shield: a waiter that is cancelled must not cancel the others' result.
            body = await asyncio.shield(flight)
            if body is not None:
                return body
            return await compute()  # that computation failed: ours reports our error
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._flights[(key, version)] = future
        computed: bytes | None = None
        try:
            computed = await compute()
        finally:
            del self._flights[(key, version)]
            future.set_result(computed)  # None when failed or cancelled
        self.put(key, version, computed)
        return computed

    def put(self, key: MetricsKey, version: int, body: bytes) -> None:
        if len(body) * MAX_ENTRY_SHARE > self.max_bytes:
            return
        current = self._entries.get(key)
        if current is not None:
            if current[0] > version:  # a concurrent request already stored newer data
                return
            self._drop(key)
        self._entries[key] = (version, body)
        self._bytes += len(body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def forget_shop(self, shop_id: str) -> None:
        """A deleted shop: a shop re-created under its id starts again at version 0."""
        for key in [k for k in self._entries if k.shop_id == shop_id]:
            self._drop(key)

    def _drop(self, key: MetricsKey) -> None:
        _, body = self._entries.pop(key)
        self._bytes -= len(body)
