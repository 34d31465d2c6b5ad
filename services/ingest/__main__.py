"""`python -m services.ingest`: the ingest consumer, configured by the environment only.

Start-up checks first (the database, the broker, the metrics port): a failed one is one
line on stderr and exit code 2 (shared.startup). SIGTERM or SIGINT drains the batch in
hand, commits its offsets and exits 0; each clean-up step is bounded, and the whole within
shared.shutdown.SHUTDOWN_SECONDS (past it the process exits 3, its batch uncommitted).
"""

from __future__ import annotations

import asyncio

from services.ingest import metrics
from services.ingest.config import IngestSettings
from services.ingest.worker import IngestWorker, tune_gc
from shared.kafka import ensure_topics
from shared.logging import get_logger
from shared.shutdown import stop_on_signals
from shared.startup import (
    StartupError,
    check_broker,
    check_database,
    check_port,
    checked_settings,
)

log = get_logger("services.ingest")


async def _check(settings: IngestSettings) -> None:
    check_port("INGEST_METRICS_PORT", settings.ingest_metrics_port)
    await check_database(settings.require_database_url())
    bootstrap = settings.require_kafka()
    await check_broker(bootstrap)
    try:
        await ensure_topics(settings)
    except RuntimeError as exc:
        raise StartupError(f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}", str(exc), "") from None


async def main(settings: IngestSettings) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop, "ingest")
    if metrics.serve(settings.ingest_metrics_port):
        log.info("metrics_serving", port=settings.ingest_metrics_port)
    tune_gc()
    await IngestWorker(settings).run(stop)
    return 0


def run() -> None:
    settings = checked_settings("ingest", IngestSettings, _check)
    raise SystemExit(asyncio.run(main(settings)))


if __name__ == "__main__":
    run()
