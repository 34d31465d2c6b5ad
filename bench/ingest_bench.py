"""Ingest throughput, end to end: consume, validate, store, forward, commit.

`run()` is called by the bench harness; `python -m bench.ingest_bench [N]` runs it alone on
the embedded Postgres and Kafka with simulator traffic.

The N events are produced first; the clock starts when the ingest worker is assigned its
partitions (group join time is the broker's, not ingest's) and stops when every record is
committed.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.ingest.config import IngestSettings
from services.ingest.forward import OutMessage, produce_all
from services.ingest.offsets import log_end_offsets
from services.ingest.worker import IngestWorker, tune_gc
from shared import topics
from shared.kafka import ensure_topics
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
    watch: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Events/s of one in-process ingest worker; `watch` names processes (e.g. postgres,
    broker) whose CPU time over the measured span is reported too."""
    watch = watch or {}
    settings = IngestSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_partitions=partitions,
        ingest_metrics_port=0,
        ingest_group_id=f"bench-ingest-{uuid.uuid4().hex[:8]}",
        ingest_poll_timeout_ms=50,
    )
    await ensure_topics(settings, topics.ALL, partitions=partitions)
    messages = [as_message(e) for e in events]
    await _register_shops(database_url, {m.key.decode() for m in messages if m.key})
    tps = await _input_partitions(bootstrap)
    start_at = await log_end_offsets(bootstrap, tps)
    await _start_group_at(bootstrap, settings.ingest_group_id, start_at)
    await _produce(bootstrap, messages)
    target = {tp: end for tp, end in (await log_end_offsets(bootstrap, tps)).items()}

    tune_gc()  # as python -m services.ingest does
    worker = IngestWorker(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        while not worker.consumer.assignment():
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        started = time.perf_counter()
        cpu_started = time.process_time()
        watched = {name: _cpu_seconds(pids) for name, pids in watch.items()}
        while any(worker.committed.get(tp, 0) < end for tp, end in target.items()):
            if task.done():
                task.result()
                raise RuntimeError("the ingest worker stopped before consuming every event")
            await asyncio.sleep(0.005)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        watched = {
            f"{name}_cpu_s": round(_cpu_seconds(watch[name]) - before, 3)
            for name, before in watched.items()
        }
    finally:
        stop.set()
        await task
    return {
        "name": "ingest",
        "events": len(messages),
        "partitions": partitions,
        "seconds": round(seconds, 3),
        "events_per_s": round(len(messages) / seconds),
        # CPU of this process (the worker) over the measured span: near `seconds` means
        # ingest's own Python is the bound; well below, it waits on Postgres or the broker.
        "worker_cpu_s": round(cpu_seconds, 3),
        **watched,
    }


async def _standalone(count: int, partitions: int) -> dict[str, Any]:
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
            return await run(bootstrap, url, events, partitions, watch=pids)
        finally:
            kafka.stop()
            postgres.stop()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(asyncio.run(_standalone(n, partitions=int(sys.argv[2]) if len(sys.argv) > 2 else 4)))
