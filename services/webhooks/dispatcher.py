"""The dispatcher loop: claim due deliveries, send them concurrently, record outcomes.

Any number of dispatchers may run against one database (see claims.py). A dispatcher
killed mid-attempt loses nothing: its claimed rows become due again when their lease runs
out, and the receiver gets the same webhook-id again (at-least-once, deduped by id).

No head-of-line blocking: the dispatcher has `batch_size` slots and claims as soon as one
frees up (never waiting for a whole batch), and a subscription has at most
`per_subscription` deliveries in flight over all dispatchers. A receiver that hangs for
the whole timeout holds only its own slots; every other subscription is claimed and sent
as fast as if it were not there, whatever that one's backlog (docs/webhooks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import DATABASE_UNAVAILABLE, transaction
from shared.logging import get_logger

from .claims import Claimed, Outcome, claim_due, record_outcome
from .housekeeping import sweep
from .metrics import DispatchMetrics
from .schedule import retry_delay
from .sender import Result, event_body, send
from .settings import WebhookSettings

log = get_logger(__name__)

GAUGE_INTERVAL = 5.0


class Dispatcher:
    def __init__(
        self,
        *,
        factory: async_sessionmaker[AsyncSession],
        settings: WebhookSettings,
        allow_private: bool,
        metrics: DispatchMetrics,
        client: httpx.AsyncClient,
        rng: random.Random | None = None,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.allow_private = allow_private
        self.metrics = metrics
        self.client = client
        self.rng = rng or random.Random()
        self.token_prefix = secrets.token_hex(6)
        self._gauges_at = -GAUGE_INTERVAL

    async def _claim(self, limit: int) -> list[Claimed]:
        token = f"{self.token_prefix}-{secrets.token_hex(6)}"
        async with transaction(self.factory) as session:
            return await claim_due(
                session=session,
                token=token,
                limit=limit,
                lease_seconds=self.settings.lease_seconds,
                max_age=self.settings.max_age,
                per_subscription=self.settings.per_subscription,
            )

    async def run_once(self) -> int:
        """One round: claim a batch, deliver it, record it. Returns how many were claimed."""
        claimed = await self._claim(self.settings.batch_size)
        await asyncio.gather(*(self._deliver(c) for c in claimed))
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set, keeping up to batch_size deliveries in flight; what was
        claimed is always finished and recorded before it returns. Housekeeping runs
        beside it, never in the way of a claim."""
        flying: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        housekeeper = asyncio.create_task(self._housekeeping(stop))
        loop = asyncio.get_running_loop()
        size = self.settings.batch_size
        refill = max(1, size // 2)  # claim in batches: a claim costs a round trip or two
        claimed_at = -self.settings.poll_seconds
        try:
            while not stop.is_set():
                room = size - len(flying)
                idle = loop.time() - claimed_at >= self.settings.poll_seconds
                claimed = 0
                if room >= refill or (room > 0 and (idle or not flying)):
                    claimed_at = loop.time()
                    claimed = await self._round(flying, room)
                if claimed == room and room > 0:
                    continue  # all it asked for: more may be due
                await asyncio.wait(  # a slot frees up, the poll interval ends, or stop
                    {stopping, *flying},
                    timeout=self.settings.poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            stopping.cancel()
            await asyncio.gather(*flying, return_exceptions=True)
            await asyncio.gather(housekeeper, return_exceptions=True)

    async def _round(self, flying: set[asyncio.Task[None]], room: int) -> int:
        """Claim into the `room` free slots and start them."""
        try:
            claimed = await self._claim(room)
            await self._refresh_gauges()
        except DATABASE_UNAVAILABLE as exc:  # restarting: one line, retry after a pause
            log.warning("webhook_dispatch_round_failed", database_unavailable=repr(exc)[:200])
            return 0
        except Exception:
            log.exception("webhook_dispatch_round_failed")
            return 0
        for c in claimed:
            task = asyncio.create_task(self._deliver_logged(c))
            flying.add(task)
            task.add_done_callback(flying.discard)
        return len(claimed)

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        """At start, then every housekeeping_seconds (housekeeping.py)."""
        days = self.settings.delivered_retention_days
        while not stop.is_set():
            try:
                swept = await sweep(factory=self.factory, retention_seconds=days * 86400 or None)
                if swept.orphans_failed or swept.delivered_deleted or swept.events_deleted:
                    log.info(
                        "webhook_housekeeping",
                        orphans_failed=swept.orphans_failed,
                        delivered_deleted=swept.delivered_deleted,
                        events_deleted=swept.events_deleted,
                    )
            except DATABASE_UNAVAILABLE as exc:  # restarting: one line, next time
                log.warning("webhook_housekeeping_failed", database_unavailable=repr(exc)[:200])
            except Exception:
                log.exception("webhook_housekeeping_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.housekeeping_seconds)

    async def _refresh_gauges(self) -> None:
        """The backlog count scans pending rows: at most every GAUGE_INTERVAL seconds."""
        now = time.monotonic()
        if now - self._gauges_at < GAUGE_INTERVAL:
            return
        self._gauges_at = now
        async with self.factory() as session:
            await self.metrics.outbox.refresh(session=session)

    async def _deliver_logged(self, claimed: Claimed) -> None:
        """A delivery whose outcome could not be recorded (the database went away) is
        logged; its lease runs out and it is attempted again."""
        try:
            await self._deliver(claimed)
        except DATABASE_UNAVAILABLE as exc:  # one line each: an outage fails many at once
            log.warning(
                "webhook_delivery_not_recorded",
                delivery_id=claimed.delivery_id,
                database_unavailable=repr(exc)[:200],
            )
        except Exception:
            log.exception("webhook_delivery_not_recorded", delivery_id=claimed.delivery_id)

    async def _deliver(self, claimed: Claimed) -> None:
        outcome = await self._attempt(claimed)
        async with transaction(self.factory) as session:
            status = await record_outcome(session=session, claimed=claimed, outcome=outcome)
        if status is None:
            log.warning("webhook_lease_lost", delivery_id=claimed.delivery_id)
            return
        result = "retrying" if status == "pending" else status
        self.metrics.deliveries.labels(result).inc()
        if status == "failed":
            self.metrics.failures.inc()
        log.info(
            "webhook_attempt",
            shop_id=claimed.shop_id,
            delivery_id=claimed.delivery_id,
            event_id=claimed.event_id,
            attempt=claimed.attempt_no,
            result=result,
            status_code=outcome.status_code,
            error=outcome.error,
        )

    async def _attempt(self, claimed: Claimed) -> Outcome:
        if claimed.url is None or not claimed.enabled:
            gone = "deleted" if claimed.url is None else "disabled"
            return Outcome(
                ok=False,
                retry=False,
                delay_seconds=0,
                status_code=None,
                error=f"subscription {gone}",
                duration_ms=None,
            )
        body = event_body(
            event_id=claimed.event_id,
            type=claimed.type,
            shop_id=claimed.shop_id,
            created_at=claimed.created_at,
            data=claimed.data,
        )
        result: Result = await send(
            self.client,
            url=claimed.url,
            body=body,
            msg_id=claimed.event_id,
            secrets=claimed.secrets,
            timeout_seconds=self.settings.timeout_seconds,
            allow_private=self.allow_private,
        )
        self.metrics.attempts.labels(result.kind).inc()
        delay = 0.0 if result.ok else retry_delay(claimed.attempt_no, self.settings, self.rng)
        return Outcome(
            ok=result.ok,
            retry=True,
            delay_seconds=delay,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )


def http_client(settings: WebhookSettings) -> httpx.AsyncClient:
    """No redirects (a 3xx is a failed attempt: the target must be the URL given), no
    proxies from the environment."""
    return httpx.AsyncClient(
        timeout=settings.timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=settings.batch_size),
    )
