"""`python -m services.webhooks`: run one webhook dispatcher until SIGINT/SIGTERM.

Start as many as you like (see dispatcher.py). Configuration: DATABASE_URL,
WEBHOOK_ALLOW_PRIVATE_TARGETS and the WEBHOOK_* tuning of settings.py.
"""

from __future__ import annotations

import asyncio
import signal

from prometheus_client import start_http_server

from shared.db import create_engine, session_factory
from shared.logging import configure_logging, get_logger
from shared.settings import get_settings

from .dispatcher import Dispatcher, http_client
from .metrics import DispatchMetrics
from .settings import WebhookSettings


async def main() -> None:
    settings = get_settings()
    tuning = WebhookSettings()
    configure_logging(settings.log_level, settings.log_format)
    log = get_logger("services.webhooks")
    if tuning.metrics_port:
        start_http_server(tuning.metrics_port, addr=settings.api_host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings, pool_size=tuning.batch_size + 2)
    async with http_client(tuning) as client:
        dispatcher = Dispatcher(
            factory=session_factory(engine),
            settings=tuning,
            allow_private=settings.webhook_allow_private_targets,
            metrics=DispatchMetrics(),
            client=client,
        )
        log.info(
            "webhook_dispatcher_started",
            allow_private=dispatcher.allow_private,
            schedule_scale=tuning.retry_schedule_scale,
        )
        try:
            await dispatcher.run(stop)
        finally:
            await engine.dispose()
            log.info("webhook_dispatcher_stopped")


if __name__ == "__main__":
    asyncio.run(main())
