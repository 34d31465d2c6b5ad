"""`python -m services.scoring`: the scoring worker plus the rescore job poller.

SIGTERM/SIGINT finish the current batch, commit it with its offsets, and leave the group.
Environment: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS (SPEC §10), SCORING_METRICS_PORT
(default 9102, 0 = off), SCORING_GROUP_ID (default kefu-scoring), SCORING_MAX_RECORDS
(default 20000), SCORING_RESCORE (default 1; 0 = don't run rescore jobs here),
SCORING_PARTITIONS (e.g. "0,1": a static assignment instead of group membership),
SCORING_SESSION_TIMEOUT_MS / SCORING_REBALANCE_TIMEOUT_MS / SCORING_HEARTBEAT_MS (group
membership tuning; how fast a crashed member's partitions move).
"""

from __future__ import annotations

import asyncio
import os
import signal

from services.alerts import evaluate_after_batch
from services.scoring import metrics
from services.scoring.rescore import poll_jobs
from services.scoring.worker import GROUP_ID, ScoringWorker
from shared.db import create_engine
from shared.logging import configure_logging, get_logger
from shared.settings import get_settings

log = get_logger("services.scoring")


_TUNING = {
    "SCORING_SESSION_TIMEOUT_MS": "session_timeout_ms",
    "SCORING_REBALANCE_TIMEOUT_MS": "rebalance_timeout_ms",
    "SCORING_HEARTBEAT_MS": "heartbeat_interval_ms",
}


def _partitions() -> list[int] | None:
    raw = os.environ.get("SCORING_PARTITIONS", "").strip()
    return [int(p) for p in raw.split(",")] if raw else None


def _consumer_options() -> dict[str, object]:
    return {opt: int(os.environ[env]) for env, opt in _TUNING.items() if os.environ.get(env)}


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    metrics.serve(int(os.environ.get("SCORING_METRICS_PORT", "9102")))
    engine = create_engine(settings, pool_size=4)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = ScoringWorker(
        engine=engine,
        settings=settings,
        group_id=os.environ.get("SCORING_GROUP_ID", GROUP_ID),
        max_records=int(os.environ.get("SCORING_MAX_RECORDS", "20000")),
        partitions=_partitions(),
        consumer_options=_consumer_options(),
        # The one place scoring meets alerts: judged in every batch's transaction.
        after_batch=[evaluate_after_batch],
    )
    tasks = [asyncio.create_task(worker.run(stop), name="worker")]
    if os.environ.get("SCORING_RESCORE", "1") != "0":
        tasks.append(asyncio.create_task(poll_jobs(engine=engine, stop=stop), name="rescore"))
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
        await engine.dispose()
        log.info("scoring_stopped")


if __name__ == "__main__":
    asyncio.run(main())
