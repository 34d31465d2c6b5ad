"""`make bench`: start a fresh stack (embedded unless configured), measure, print one table.

Each row is the median of BENCH_REPEATS runs (default 3) on the simulator's event mix.
Later rows (end to end, ingest, scoring, API) come from bench/*_bench.py modules when
present. BENCH_E2E_QUICK=1 makes the end-to-end row a quick one (docs/throughput.md).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from typing import Any

from bench.ceilings import consume_rate, produce_rate
from bench.infra import database_and_broker
from bench.table import Table, median
from bench.traffic import simulator_events
from shared import topics
from shared.kafka import ensure_topics
from shared.settings import Settings
from shared.simulator import SimEvent

EVENTS = int(os.environ.get("BENCH_EVENTS", "200000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
PARTITIONS = int(os.environ.get("BENCH_PARTITIONS", "8"))


async def ceilings(table: Table, bootstrap: str, events: list[SimEvent]) -> dict[str, float]:
    produced, consumed = [], []
    for run in range(REPEATS):
        suffix = f".bench{run}"
        names = [topics.CHAT + suffix, topics.ORDER + suffix]
        await ensure_topics(
            Settings(kafka_bootstrap_servers=bootstrap), names, partitions=PARTITIONS
        )
        produced.append(await produce_rate(bootstrap, events, topic_suffix=suffix))
        consumed.append(await consume_rate(bootstrap, names, len(events)))
    result = {"produce": median(produced), "consume": median(consumed)}
    table.add(
        "producer → broker (ceiling)",
        result["produce"],
        "events/s",
        f"aiokafka, lz4, acks=all, {len(events):,} events, {PARTITIONS} partitions",
    )
    table.add(
        "bare consumer decode+discard (ceiling)",
        result["consume"],
        "events/s",
        "aiokafka getmany + orjson.loads",
    )
    return result


async def optional_rows(table: Table, context: dict[str, Any]) -> None:
    """Rows contributed by the services' own benchmark modules."""
    for module_name in (
        "bench.e2e_bench",
        "bench.ingest_bench",
        "bench.scoring_bench",
        "bench.api_bench",
        "bench.export_bench",
        "bench.webhook_bench",
        "bench.memory_bench",
        "bench.rescore_bench",
        "bench.console_bench",
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        rows = getattr(module, "rows", None)
        if rows is None:
            continue
        try:
            await rows(table, context)
        except Exception as exc:  # one failing benchmark must not hide the others' rows
            table.add(module_name, None, "", f"failed: {exc!r}"[:120])


async def main() -> int:
    with database_and_broker("kefu-bench-") as (database_url, bootstrap):
        print(f"generating {EVENTS:,} simulator events …", flush=True)
        events = simulator_events(EVENTS)
        table = Table()
        ceiling = await ceilings(table, bootstrap, events)
        context: dict[str, Any] = {
            "bootstrap": bootstrap,
            "database_url": database_url,
            "events": events,
            "partitions": PARTITIONS,
            "repeats": REPEATS,
            "ceilings": ceiling,
        }
        await optional_rows(table, context)
        print()
        print(table.render())
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
