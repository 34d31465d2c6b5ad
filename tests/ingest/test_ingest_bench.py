"""The benchmark function the bench harness calls works end to end (small N here)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.ingest_bench import run
from shared.simulator import SimConfig, generate
from tests.fixtures.clock import NOW
from tests.ingest.builders import chat, encode
from tests.ingest.harness import fetch


async def test_bench_run_measures_sim_events_and_raw_bytes(
    database_url: str, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    config = SimConfig(seed=11, shops=2, start=NOW - timedelta(days=2), now=NOW, id_prefix="bn")
    events: list[object] = list(generate(config, count=1500))
    events += [encode(chat("bench-raw-shop")) for _ in range(500)]

    result = await run(kafka_bootstrap, database_url, events, 4, now=NOW)

    assert result["events"] == 2000 and result["events_per_s"] > 0
    rows = await fetch(
        engine,
        "SELECT (SELECT count(*) FROM chat_messages) + (SELECT count(*) FROM order_events) AS n",
    )
    assert rows[0].n == 2000
