"""An in-process cache of who a key is (key hash -> shop, key id) and of each shop's
rollup_version, so that a cached /v1/metrics request touches no database.

It is trusted only while the cache listener (services/api/cache_listener.py) holds a
LISTEN on `kefu_api_cache` and has confirmed its connection within the lease: the
database NOTIFYs every change of api_keys (revoke) and shops.rollup_version in the
committing transaction (migration 0005), and the listener applies them here. Without a
live listener every lookup misses and requests are served from the database, as without
the cache; when the listener loses its connection, everything cached is dropped, so a
notification lost with it cannot keep a revoked key or an old version alive.

Fills race with notifications: a request reads the database, a change commits and is
notified, then the request stores what it read. So every fill carries the `epoch` read
before its query and is refused if anything that could make it stale happened since (a
key changed, the listener went down or came up). Versions only grow: a fill or notice
never lowers one.

Each entry is refreshed from the database once per `refresh_seconds` (by one request;
the others keep hitting), which is when the key's last_used_at is written. The API
serves requests on one event loop thread: no lock is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.rollup_version import BUMPED_SHOPS

from .service import LAST_USED_RESOLUTION, ShopCaller

# session.info key: (shop_id, key_id) of keys revoked in the session's transaction.
REVOKED_KEYS = "api.revoked_keys"
MAX_KEYS = 10_000
MAX_SHOPS = 100_000


@dataclass(slots=True)
class _Key:
    shop_id: str
    key_id: str
    refresh_at: float


class CallerCache:
    def __init__(
        self,
        *,
        refresh_seconds: float = LAST_USED_RESOLUTION.total_seconds(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._keys: dict[bytes, _Key] = {}
        self._versions: dict[str, int] = {}
        self._epoch = 0
        self._live_until = 0.0  # monotonic; 0 while no listener is LISTENing
        self.hits = 0  # of lookup(), not peek()
        self.misses = 0

    @property
    def epoch(self) -> int:
        """Read before a fill's database query; hand it to fill()."""
        return self._epoch

    @property
    def live(self) -> bool:
        return self.clock() < self._live_until

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, key_hash: bytes) -> ShopCaller | None:
        """The caller of a live key with its shop's current rollup_version, or None: then
        authenticate from the database and fill()."""
        found = self._find(key_hash)
        if found is None:
            self.misses += 1
            return None
        entry, version = found
        now = self.clock()
        if now >= entry.refresh_at:
            # This request re-reads the key (and marks it used); the others keep hitting.
            entry.refresh_at = now + self.refresh_seconds
            self.misses += 1
            return None
        self.hits += 1
        return ShopCaller(shop_id=entry.shop_id, key_id=entry.key_id, rollup_version=version)

    def peek(self, key_hash: bytes) -> tuple[str, int] | None:
        """(shop_id, rollup_version) if lookup() would hit, changing nothing (the metrics
        fast path: when it declines, the route's lookup() must still claim the refresh)."""
        found = self._find(key_hash)
        if found is None or self.clock() >= found[0].refresh_at:
            return None
        return found[0].shop_id, found[1]

    def _find(self, key_hash: bytes) -> tuple[_Key, int] | None:
        entry = self._keys.get(key_hash)
        version = None if entry is None else self._versions.get(entry.shop_id)
        if entry is None or version is None or not self.live:
            return None
        return entry, version

    def fill(self, epoch: int, key_hash: bytes, caller: ShopCaller) -> None:
        """Store what a request read from the database after reading `epoch`."""
        if epoch != self._epoch or not self.live:
            return
        if len(self._keys) >= MAX_KEYS and key_hash not in self._keys:
            self._keys.clear()
        if len(self._versions) >= MAX_SHOPS and caller.shop_id not in self._versions:
            self._versions.clear()
        self._keys[key_hash] = _Key(
            caller.shop_id, caller.key_id, self.clock() + self.refresh_seconds
        )
        self._raise_version(caller.shop_id, caller.rollup_version)

    # --- notifications (from any process, through the listener) -----------------------

    def key_changed(self, key_hash: bytes) -> None:
        self._keys.pop(key_hash, None)
        self._epoch += 1

    def version_changed(self, shop_id: str, version: int) -> None:
        # Notices arrive in commit order and versions only grow: no epoch bump needed.
        if len(self._versions) >= MAX_SHOPS and shop_id not in self._versions:
            self._versions.clear()
            self._epoch += 1
        self._raise_version(shop_id, version)

    def shop_gone(self, shop_id: str) -> None:
        self._versions.pop(shop_id, None)
        for key_hash in [h for h, e in self._keys.items() if e.shop_id == shop_id]:
            del self._keys[key_hash]
        self._epoch += 1

    # --- this process's own commits ----------------------------------------------------

    def committed(self, info: Mapping[str, Any]) -> None:
        """After a request's transaction committed: forget what it changed at once,
        before the response is sent (the notification follows milliseconds later)."""
        revoked: set[tuple[str, str]] = info.get(REVOKED_KEYS, set())
        bumped: set[str] = info.get(BUMPED_SHOPS, set())
        if not (revoked or bumped):
            return
        for key_hash in [h for h, e in self._keys.items() if (e.shop_id, e.key_id) in revoked]:
            del self._keys[key_hash]
        for shop_id in bumped:
            self._versions.pop(shop_id, None)
        self._epoch += 1

    # --- the listener's state ----------------------------------------------------------

    def listening(self, lease_seconds: float) -> None:
        """LISTEN is in place: what is read from now on will be kept current."""
        self._epoch += 1
        self.renew(lease_seconds)

    def renew(self, lease_seconds: float) -> None:
        """The listener's connection answered: trust the cache a while longer."""
        self._live_until = self.clock() + lease_seconds

    def go_dark(self) -> None:
        """The listener lost its connection: notifications may be lost, drop everything."""
        self._live_until = 0.0
        self._keys.clear()
        self._versions.clear()
        self._epoch += 1

    def _raise_version(self, shop_id: str, version: int) -> None:
        if version > self._versions.get(shop_id, -1):
            self._versions[shop_id] = version
