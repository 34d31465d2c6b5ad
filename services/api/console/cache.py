"""The team page's numbers, cached per (shop, range, group) and the shop's rollup_version.

The same rule as the /v1/metrics cache (services/api/metrics/cache.py): every transaction
that changes the rollups bumps shops.rollup_version with them, and the page reads the
version before the numbers; numbers computed after reading version v are at least as new
as v, so serving them to a request that read v is never stale. Targets and names are
not cached (they change without a bump; they are small reads). In process, LRU-bounded;
the API serves requests on one event loop thread, so no lock is needed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import shops

MAX_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class NumbersKey:
    shop_id: str
    start: date
    end: date
    group: str | None


class NumbersCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[NumbersKey, tuple[int, Any]] = OrderedDict()
        self.hits = self.misses = 0

    async def get_or_compute(
        self, session: AsyncSession, key: NumbersKey, compute: Callable[[], Awaitable[Any]]
    ) -> Any:
        version = await session.scalar(
            select(shops.c.rollup_version).where(shops.c.shop_id == key.shop_id)
        )
        entry = self._entries.get(key)
        if version is not None and entry is not None and entry[0] >= version:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]
        self.misses += 1
        value = await compute()
        if version is not None:
            self._entries[key] = (int(version), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value
