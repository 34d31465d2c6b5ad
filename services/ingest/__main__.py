"""`python -m services.ingest`: the ingest consumer, configured by the environment only.

SIGTERM or SIGINT drains the batch in hand, commits its offsets and exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka.errors import KafkaError

from services.ingest import metrics
from services.ingest.config import IngestSettings
from services.ingest.worker import IngestWorker, tune_gc
from shared.kafka import ensure_topics
from shared.logging import configure_logging, get_logger

log = get_logger("services.ingest")


async def main(settings: IngestSettings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        settings.require_database_url()
        settings.require_kafka()
        await ensure_topics(settings)
    except (RuntimeError, KafkaError, OSError) as exc:
        log.error(
            "ingest_cannot_start",
            error=str(exc) or repr(exc),
            bootstrap=settings.kafka_bootstrap_servers,
        )
        return 2
    if metrics.serve(settings.ingest_metrics_port):
        log.info("metrics_serving", port=settings.ingest_metrics_port)
    tune_gc()
    await IngestWorker(settings).run(stop)
    return 0


def run() -> None:
    settings = IngestSettings()
    configure_logging(settings.log_level, settings.log_format)
    sys.exit(asyncio.run(main(settings)))


if __name__ == "__main__":
    run()
