"""Ingest throughput, end to end: consume, validate, store, forward, commit.

`run()` is called by the bench harness; `python -m bench.ingest_bench [N]` runs it alone on
the embedded Postgres and Kafka with simulator traffic.

The N events are produced first; 1 or more ingest processes join one consumer group
(bench/ingest_procs.py); the clock starts when every partition is assigned and the
processes are let go (group join time is the broker's, not ingest's), and stops when
every record is committed. `python -m bench.ingest_bench N PARTITIONS PROCESSES`.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.databases import bench_databases
from bench.ingest_procs import measure
from bench.table import Table, median
from services.ingest.config import IngestSettings
from services.ingest.forward import OutMessage, produce_all
from shared import topics
from shared.kafka import ensure_topics, log_end_offsets
from shared.settings import Settings


def as_message(event: Any) -> OutMessage:
    """A SimEvent (topic, key, value) or raw JSON bytes (topic chosen by its type)."""
    if isinstance(event, bytes | bytearray):
        value = bytes(event)
        try:
            body = orjson.loads(value)
        except orjson.JSONDecodeError:
            body = {}
        shop = body.get("shop_id") if isinstance(body, dict) else None
        kind = body.get("type", "") if isinstance(body, dict) else ""
        topic = topics.CHAT if kind == "chat.message" else topics.ORDER
        return OutMessage(topic, shop.encode() if isinstance(shop, str) else None, value)
    return OutMessage(event.topic, event.key, event.value)


async def _register_shops(database_url: str, shop_ids: set[str]) -> None:
    engine = create_async_engine(Settings(database_url=database_url).require_database_url())
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO shops (shop_id, name) SELECT s, s FROM "
                    "unnest(CAST(:ids AS text[])) AS s ON CONFLICT DO NOTHING"
                ),
                {"ids": sorted(shop_ids)},
            )
    finally:
        await engine.dispose()


async def _input_partitions(bootstrap: str) -> list[TopicPartition]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        return [
            TopicPartition(name, p)
            for name in topics.INPUT
            for p in sorted(consumer.partitions_for_topic(name) or [])
        ]
    finally:
        await consumer.stop()


async def _start_group_at(bootstrap: str, group: str, ends: dict[TopicPartition, int]) -> None:
    """A fresh group that begins at the current end: earlier benches' records are skipped."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.commit(ends)
    finally:
        await consumer.stop()


async def _produce(bootstrap: str, messages: Sequence[OutMessage]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        linger_ms=20,
        max_batch_size=512 * 1024,
        max_request_size=4 * 1024 * 1024,
    )
    await producer.start()
    try:
        for start in range(0, len(messages), 20_000):
            await produce_all(producer, messages[start : start + 20_000])
    finally:
        await producer.stop()


def _cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time of these processes and their children (psutil, when installed)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - a diagnostic only
        return float("nan")
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


async def run(
    bootstrap: str,
    database_url: str,
    events: Sequence[Any],
    partitions: int,
    *,
    processes: int = 1,
    watch: dict[str, list[int]] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Events/s of `processes` ingest processes in one group; `watch` names processes
    (e.g. postgres, broker) whose CPU time over the measured span is reported too. `now`:
    ingest's clock pinned (tests); unset, the system clock."""
    watch = watch or {}
    settings = IngestSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_partitions=partitions,
        ingest_metrics_port=0,
        ingest_group_id=f"bench-ingest-{uuid.uuid4().hex[:8]}",
        ingest_poll_timeout_ms=50,
        ingest_session_timeout_ms=10_000,
        ingest_now=now,
    )
    await ensure_topics(settings, topics.ALL, partitions=partitions)
    messages = [as_message(e) for e in events]
    await _register_shops(database_url, {m.key.decode() for m in messages if m.key})
    tps = await _input_partitions(bootstrap)
    start_at = await log_end_offsets(bootstrap, tps)
    await _start_group_at(bootstrap, settings.ingest_group_id, start_at)
    await _produce(bootstrap, messages)
    end_at = await log_end_offsets(bootstrap, tps)
    spans = [(tp.topic, tp.partition, start_at[tp], end_at[tp]) for tp in tps]

    def cpu() -> dict[str, float]:  # the watched processes' CPU, read while they serve us
        return {f"{name}_cpu_s": _cpu_seconds(pids) for name, pids in watch.items()}

    measured = await measure(settings, spans, processes, cpu)
    watched = {name: round(seconds, 3) for name, seconds in measured["probe"].items()}
    return {
        "name": "ingest",
        "events": len(messages),
        "partitions": partitions,
        "processes": processes,
        "seconds": round(measured["seconds"], 3),
        "events_per_s": round(len(messages) / measured["seconds"]),
        # CPU of each worker process over the measured span: near `seconds` means ingest's
        # own Python is the bound; well below, it waits on Postgres or the broker.
        "worker_cpu_s": measured["worker_cpu_s"],
        "records_per_process": measured["records_per_process"],
        **watched,
    }


async def rows(table: Table, context: dict[str, Any]) -> None:
    """`make bench` rows: ingest end to end with 1 and 2 processes, a fresh database each
    run (the same events every time, so none is a duplicate of an earlier run)."""
    events, partitions = context["events"], context["partitions"]
    rates: dict[int, list[float]] = {1: [], 2: []}
    busiest: list[float] = []  # share of the records the busiest of 2 processes handled
    with bench_databases(context["database_url"]) as fresh:
        for _ in range(context["repeats"]):
            for processes, measured in rates.items():
                result = await run(
                    context["bootstrap"], fresh(), events, partitions, processes=processes
                )
                measured.append(result["events_per_s"])
                if processes > 1:
                    busiest.append(max(result["records_per_process"]) / len(events))
                print(f"  ingest run: {result}", flush=True)
    ceilings = context["ceilings"]
    for processes, measured in rates.items():
        value = median(measured)
        split = f"; busiest process took {median(busiest):.0%}" if processes > 1 else ""
        table.add(
            f"ingest end to end ({processes} process{'es' if processes > 1 else ''})",
            value,
            "events/s",
            f"{value / ceilings['consume']:.0%} of the bare consumer, "
            f"{value / ceilings['produce']:.0%} of the producer; consumed, stored, "
            f"forwarded, committed; {partitions} partitions{split}",
        )


async def _standalone(count: int, partitions: int, processes: int) -> dict[str, Any]:
    """Embedded Postgres + Tansu, migrated, with simulator traffic (3 shops)."""
    import tempfile
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from shared import migrate
    from shared.embedded import EmbeddedKafka, EmbeddedPostgres
    from shared.simulator import SimConfig, generate

    now = datetime.now(UTC)
    config = SimConfig(seed=7, shops=3, start=now - timedelta(days=20), now=now)
    events = list(generate(config, count=count))
    with tempfile.TemporaryDirectory() as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "pg")
        kafka = EmbeddedKafka()
        try:
            url = postgres.start()
            migrate.upgrade(url)
            bootstrap = kafka.start()
            pids = {
                "postgres": [postgres._server.get_pid()],  # type: ignore[attr-defined]
                "broker": [kafka._process.pid] if kafka._process else [],
            }
            return await run(bootstrap, url, events, partitions, processes=processes, watch=pids)
        finally:
            kafka.stop()
            postgres.stop()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    print(asyncio.run(_standalone(n, partitions=p, processes=procs)))
