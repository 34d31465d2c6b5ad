"""`python -m services.scoring`: the scoring worker plus the rescore job poller.

SIGTERM/SIGINT finish the current batch, commit it with its offsets, and leave the group;
each clean-up step is bounded, and the whole within shared.shutdown.SHUTDOWN_SECONDS (past
it the process exits 3: the batch, uncommitted, is scored again by the next owner).
Configuration: the shared environment (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, …) and the
SCORING_* knobs of services/scoring/settings.py. Start-up checks first: a failed one is
one line on stderr and exit code 2 (shared.startup).
"""

from __future__ import annotations

import asyncio

from services.alerts import evaluate_after_batch
from services.scoring import metrics
from services.scoring.rescore import poll_jobs
from services.scoring.settings import ScoringSettings
from services.scoring.worker import ScoringWorker
from shared.db import create_engine
from shared.logging import get_logger
from shared.shutdown import WORKER_STEP_SECONDS, bounded, stop_on_signals
from shared.startup import check_broker, check_database, check_port, checked_settings

log = get_logger("services.scoring")


async def _check(settings: ScoringSettings) -> None:
    check_port("SCORING_METRICS_PORT", settings.metrics_port)
    await check_database(settings.require_database_url())
    await check_broker(settings.require_kafka())


async def main(settings: ScoringSettings) -> None:
    metrics.serve(settings.metrics_port)
    engine = create_engine(settings, pool_size=4)
    stop = asyncio.Event()
    stop_on_signals(stop, "scoring")
    worker = ScoringWorker(
        engine=engine,
        settings=settings,
        group_id=settings.group_id,
        max_records=settings.max_records,
        timeline_cache_events=settings.timeline_cache_events,
        input_memo_buyers=settings.input_memo_buyers,
        partitions=settings.partitions,
        consumer_options=settings.consumer_options(),
        batch_delay_s=settings.batch_delay_ms / 1000,
        # The one place scoring meets alerts: judged in every batch's transaction.
        after_batch=[evaluate_after_batch],
    )
    tasks = [asyncio.create_task(worker.run(stop), name="worker")]
    if settings.rescore:
        tasks.append(
            asyncio.create_task(
                poll_jobs(
                    engine=engine,
                    stop=stop,
                    after_batch=[evaluate_after_batch],
                    workers=settings.rescore_workers,
                ),
                name="rescore",
            )
        )
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bounded("database", engine.dispose(), WORKER_STEP_SECONDS)
        log.info("scoring_stopped")


def run() -> None:
    asyncio.run(main(checked_settings("scoring", ScoringSettings, _check)))


if __name__ == "__main__":
    run()
