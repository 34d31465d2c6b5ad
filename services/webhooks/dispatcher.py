"""The dispatcher loop: claim due deliveries, send them concurrently, record outcomes.

Any number of dispatchers may run against one database (see claims.py). A dispatcher
killed mid-attempt loses nothing: its claimed rows become due again when their lease runs
out, and the receiver gets the same webhook-id again (at-least-once, deduped by id).
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

    async def run_once(self) -> int:
        """One round: claim a batch, deliver it, record it. Returns how many were claimed."""
        token = f"{self.token_prefix}-{secrets.token_hex(6)}"
        async with transaction(self.factory) as session:
            claimed = await claim_due(
                session=session,
                token=token,
                limit=self.settings.batch_size,
                lease_seconds=self.settings.lease_seconds,
                max_age=self.settings.max_age,
            )
        await asyncio.gather(*(self._deliver(c) for c in claimed))
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; a claimed batch is always finished and recorded first."""
        while not stop.is_set():
            try:
                claimed = await self.run_once()
                await self._refresh_gauges()
            except DATABASE_UNAVAILABLE as exc:  # restarting: one line, retry after a pause
                log.warning("webhook_dispatch_round_failed", database_unavailable=repr(exc)[:200])
                claimed = 0
            except Exception:
                log.exception("webhook_dispatch_round_failed")
                claimed = 0
            if claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_seconds)

    async def _refresh_gauges(self) -> None:
        """The backlog count scans pending rows: at most every GAUGE_INTERVAL seconds."""
        now = time.monotonic()
        if now - self._gauges_at < GAUGE_INTERVAL:
            return
        self._gauges_at = now
        async with self.factory() as session:
            await self.metrics.outbox.refresh(session=session)

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
