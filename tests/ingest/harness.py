"""Helpers for the ingest integration tests: produce, run ingest until caught up, read back."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest.config import IngestSettings
from services.ingest.worker import IngestWorker
from shared import topics
from shared.kafka import log_end_offsets
from shared.settings import Settings
from tests.fixtures.clock import NOW

Message = tuple[str, bytes | None, bytes | None]  # topic, key, value


def ingest_settings(settings: Settings, **overrides: Any) -> IngestSettings:
    values = settings.model_dump() | {
        "ingest_metrics_port": 0,
        "ingest_group_id": f"ingest-test-{uuid.uuid4().hex[:8]}",
        "ingest_shop_cache_seconds": 0.2,
        "ingest_poll_timeout_ms": 100,
        # The embedded broker waits for a departed member up to its session timeout.
        "ingest_session_timeout_ms": 6000,
        "ingest_now": NOW,
    }
    return IngestSettings(**(values | overrides))


async def register_shop(engine: AsyncEngine, shop_id: str, **settings: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO shops (shop_id, name, settings) VALUES (:s, :s, CAST(:j AS jsonb)) "
                "ON CONFLICT DO NOTHING"
            ),
            {"s": shop_id, "j": orjson.dumps(settings).decode()},
        )


async def produce(bootstrap: str, messages: Iterable[Message], **options: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **options)
    await producer.start()
    try:
        acks = [await producer.send(topic, value, key=key) for topic, key, value in messages]
        await asyncio.gather(*acks)
    finally:
        await producer.stop()


async def end_offsets(bootstrap: str, names: Iterable[str]) -> dict[TopicPartition, int]:
    """True log-end offsets (the embedded broker under-reports them: see ingest.offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(t, p) for t in names for p in consumer.partitions_for_topic(t) or []]
    finally:
        await consumer.stop()
    return await log_end_offsets(bootstrap, tps)


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of the topic, from the beginning to its current end."""
    ends = {tp: end for tp, end in (await end_offsets(bootstrap, [topic])).items() if end}
    if not ends:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        out: list[ConsumerRecord[bytes, bytes]] = []
        remaining = dict(ends)
        deadline = time.monotonic() + 30
        while remaining and time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                for record in records:
                    if record.offset < ends[tp]:
                        out.append(record)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.pop(tp, None)
        assert not remaining, f"could not read {topic} to its end: {remaining}"
        return out
    finally:
        await consumer.stop()


class RunningIngest:
    """An in-process ingest worker on a background task."""

    def __init__(self, settings: IngestSettings, engine: AsyncEngine | None = None) -> None:
        self.worker = IngestWorker(settings, engine=engine)
        self.committed = self.worker.committed
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> RunningIngest:
        self._task = asyncio.create_task(self.worker.run(self._stop))
        return self

    async def caught_up(self, wait_s: float = 60.0) -> None:
        """Wait until every record now on the input topics is processed and committed."""
        bootstrap = self.worker.settings.require_kafka()
        ends = {tp: n for tp, n in (await end_offsets(bootstrap, topics.INPUT)).items() if n}
        deadline = time.monotonic() + wait_s
        while any(self.committed.get(tp, 0) < n for tp, n in ends.items()):
            assert self._task is not None
            if self._task.done():
                self._task.result()
                raise AssertionError("ingest stopped before catching up")
            assert time.monotonic() < deadline, f"ingest not caught up: {self.committed} < {ends}"
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task


async def fetch(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


def spawn_ingest(
    database_url: str, bootstrap: str, group: str, log: Path, **env: str
) -> subprocess.Popen[bytes]:
    """`python -m services.ingest` as the deployment runs it: configured by environment.

    Its log (stderr) is appended to `log`."""
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "INGEST_GROUP_ID": group,
        "INGEST_METRICS_PORT": "0",
        "INGEST_SESSION_TIMEOUT_MS": "6000",
        "INGEST_POLL_TIMEOUT_MS": "100",
        "KAFKA_TOPIC_PARTITIONS": "4",
        "INGEST_NOW": NOW.isoformat(),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.ingest"],
        env=environ,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


async def wait_for_log(log: Path, text: str, wait_s: float = 60.0, *, count: int = 1) -> None:
    async def seen() -> bool:
        return text_in(log).count(text) >= count

    await wait_for(seen, wait_s, f"{text!r} in {log}")


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        out: dict[TopicPartition, int] = {}
        for name in topics.INPUT:
            for p in consumer.partitions_for_topic(name) or []:
                offset = await consumer.committed(TopicPartition(name, p))
                if offset is not None:
                    out[TopicPartition(name, p)] = offset
        return out
    finally:
        await consumer.stop()


async def wait_for(condition: Callable[[], Awaitable[bool]], wait_s: float, what: str) -> None:
    deadline = time.monotonic() + wait_s
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def text_in(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""
