"""Which shops exist, and their raw-event retention: a lookup cached for a few seconds.

Both answers are cached with the same short TTL, so a shop registered after its first
events arrived is seen within seconds (its earlier events wait in the dead letters for a
replay) and a settings change applies soon after.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.settings import ShopSettings

_LOOKUP = text(
    "SELECT shop_id, settings -> 'raw_retention_days' FROM shops "
    "WHERE shop_id = ANY(CAST(:ids AS text[]))"
)


# A shop that sets none keeps raw events this long: the shop settings' default (SPEC §3).
DEFAULT_RETENTION_DAYS = ShopSettings().raw_retention_days
# Longer than any real retention, and far inside what a timedelta can hold.
MAX_RETENTION_DAYS = 100 * 366


def retention_days(setting: object, default: int) -> int:
    """The shop's raw_retention_days, or the default when unset or not a positive integer."""
    if isinstance(setting, int) and not isinstance(setting, bool) and setting > 0:
        return min(setting, MAX_RETENTION_DAYS)
    return default


class ShopCache:
    def __init__(
        self,
        *,
        ttl_seconds: float = 2.0,
        default_retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._default = default_retention_days
        self._clock = clock
        # shop_id -> (retention days or None for "not registered", expiry)
        self._entries: dict[str, tuple[int | None, float]] = {}

    async def retention(
        self, *, session: AsyncSession, shop_ids: Collection[str]
    ) -> dict[str, int]:
        """Retention days of every registered shop among `shop_ids` (unknown ones left out)."""
        now = self._clock()
        stale = [s for s in shop_ids if (e := self._entries.get(s)) is None or e[1] <= now]
        if stale:
            rows = await session.execute(_LOOKUP, {"ids": stale})
            found = {shop: retention_days(value, self._default) for shop, value in rows}
            expiry = now + self._ttl
            for shop in stale:
                self._entries[shop] = (found.get(shop), expiry)
        out: dict[str, int] = {}
        for shop in shop_ids:
            days = self._entries[shop][0]
            if days is not None:
                out[shop] = days
        return out
