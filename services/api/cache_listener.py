"""Keeps the API's in-memory caches current: one connection LISTENing on `kefu_api_cache`.

Migration 0005's triggers NOTIFY on every change of an API key and of
shops.rollup_version, delivered when the changing transaction commits. This task applies
each notice to the CallerCache (and the metrics cache, when a shop is deleted).

Every HEARTBEAT_SECONDS the listener NOTIFYs itself on a channel of its own and waits for
that ping to come back. Notifications reach a listener in commit order, whatever their
channel, so when the ping is back every change committed before it was sent has been
applied: only then is the cache trusted, for LEASE_SECONDS. A connection that dies
silently (no error, no FIN), or a LISTEN that does not work (a pooler in transaction
mode) thus cannot keep stale entries in use for longer than the lease. When the
connection fails, the cache drops everything and requests are served from the database
until the listener is back (retried with backoff).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import psycopg

from shared.logging import get_logger

from .auth.cache import CallerCache
from .metrics.cache import MetricsCache

CHANNEL = "kefu_api_cache"
HEARTBEAT_SECONDS = 1.0
LEASE_SECONDS = 5.0
RETRY_SECONDS: tuple[float, ...] = (0.05, 0.2, 1.0, 2.0, 5.0)

log = get_logger(__name__)


def apply_notice(payload: str, *, callers: CallerCache, metrics: MetricsCache) -> None:
    """`key:<hex hash>`, `version:<n>:<shop_id>` or `shop:<shop_id>` (migration 0005)."""
    kind, _, rest = payload.partition(":")
    try:
        if kind == "key":
            callers.key_changed(bytes.fromhex(rest))
            return
        if kind == "version":
            version, _, shop_id = rest.partition(":")
            callers.version_changed(shop_id, int(version))
            return
    except ValueError:
        pass
    if kind == "shop":
        callers.shop_gone(rest)
        metrics.forget_shop(rest)
        return
    # A notice we cannot read may have meant anything: start over from the database (the
    # listener stays up, so the cache fills again from reads made after this).
    log.warning("api_cache_unreadable_notice", payload=payload[:200])
    callers.go_dark()
    callers.listening(LEASE_SECONDS)


class CacheListener:
    def __init__(self, conninfo: str, *, callers: CallerCache, metrics: MetricsCache) -> None:
        self.conninfo = conninfo
        self.callers = callers
        self.metrics = metrics
        self.retry_seconds = RETRY_SECONDS
        self.connects = 0  # successful LISTENs, for tests and logs
        self.backend_pid: int | None = None  # the LISTENing backend (tests terminate it)
        self._ping_channel = f"kefu_api_ping_{secrets.token_hex(8)}"
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="api-cache-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.callers.go_dark()

    async def _run(self) -> None:
        failures = 0
        while True:
            connects = self.connects
            try:
                await self._listen()
            except Exception as exc:  # any failure: serve from the database, then retry
                self.callers.go_dark()
                failures = 0 if self.connects > connects else failures + 1
                delay = self.retry_seconds[min(failures, len(self.retry_seconds) - 1)]
                log.warning("api_cache_listener_lost", error=repr(exc)[:200], retry_in=delay)
                await asyncio.sleep(delay)

    async def _listen(self) -> None:
        conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(self.conninfo, autocommit=True), LEASE_SECONDS
        )
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            await conn.execute(f"LISTEN {self._ping_channel}")
            self.backend_pid = conn.info.backend_pid
            pings = 0
            while True:
                pings += 1
                await self._ping_back(conn, str(pings))
                if pings == 1:
                    self.connects += 1
                    self.callers.listening(LEASE_SECONDS)
                else:
                    self.callers.renew(LEASE_SECONDS)
                await self._apply(conn, seconds=HEARTBEAT_SECONDS)

    async def _ping_back(self, conn: psycopg.AsyncConnection[object], ping: str) -> None:
        """NOTIFY ourselves and apply what arrives until the ping does (or TimeoutError)."""
        await asyncio.wait_for(
            conn.execute("SELECT pg_notify(%s, %s)", (self._ping_channel, ping)), LEASE_SECONDS
        )
        if not await self._apply(conn, seconds=LEASE_SECONDS, until_ping=ping):
            raise TimeoutError(f"the listener's ping did not come back in {LEASE_SECONDS} s")

    async def _apply(
        self, conn: psycopg.AsyncConnection[object], *, seconds: float, until_ping: str = ""
    ) -> bool:
        """Apply notices for `seconds`; True as soon as the ping `until_ping` arrives."""
        # aclosing: the generator holds the connection's lock until it is closed.
        async with contextlib.aclosing(conn.notifies(timeout=seconds)) as notices:
            async for notice in notices:
                if notice.channel != self._ping_channel:
                    apply_notice(notice.payload, callers=self.callers, metrics=self.metrics)
                elif until_ping and notice.payload == until_ping:
                    return True
        return False
