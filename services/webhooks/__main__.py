"""`python -m services.webhooks`: run one webhook dispatcher until SIGINT/SIGTERM (the
deliveries in flight are finished and recorded first, within
shared.shutdown.SHUTDOWN_SECONDS: past it the process exits 3, and what it had claimed is
delivered after its lease).

Start as many as you like (see dispatcher.py). Configuration: DATABASE_URL,
WEBHOOK_ALLOW_PRIVATE_TARGETS and the WEBHOOK_* tuning of settings.py. Start-up checks
first: a failed one is one line on stderr and exit code 2 (shared.startup).
"""

from __future__ import annotations

import asyncio

from prometheus_client import start_http_server

from shared.db import create_engine, session_factory
from shared.logging import get_logger
from shared.shutdown import WORKER_STEP_SECONDS, bounded, stop_on_signals
from shared.startup import check_database, check_port, checked_settings

from .dispatcher import Dispatcher, http_client
from .metrics import DispatchMetrics
from .settings import WebhookSettings


async def main(settings: WebhookSettings) -> None:
    log = get_logger("services.webhooks")
    if settings.metrics_port:
        start_http_server(settings.metrics_port)
    stop = asyncio.Event()
    stop_on_signals(stop, "webhooks")
    engine = create_engine(settings, pool_size=settings.batch_size + 2)
    async with http_client(settings) as client:
        dispatcher = Dispatcher(
            factory=session_factory(engine),
            settings=settings,
            allow_private=settings.webhook_allow_private_targets,
            metrics=DispatchMetrics(),
            client=client,
        )
        log.info(
            "webhook_dispatcher_started",
            allow_private=dispatcher.allow_private,
            schedule_scale=settings.retry_schedule_scale,
        )
        try:
            await dispatcher.run(stop)
        finally:
            await bounded("database", engine.dispose(), WORKER_STEP_SECONDS)
            log.info("webhook_dispatcher_stopped")


async def _check(settings: WebhookSettings) -> None:
    check_port("WEBHOOK_METRICS_PORT", settings.metrics_port)
    await check_database(settings.require_database_url())


def run() -> None:
    asyncio.run(main(checked_settings("webhooks", WebhookSettings, _check)))


if __name__ == "__main__":
    run()
