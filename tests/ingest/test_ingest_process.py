"""`python -m services.ingest` as a process: topics created on start, metrics, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import topics
from shared.embedded import EmbeddedKafka, free_port
from tests.ingest.builders import chat, encode, order
from tests.ingest.harness import (
    committed_offsets,
    end_offsets,
    fetch,
    produce,
    register_shop,
    spawn_ingest,
    wait_for,
)


@pytest.fixture
def bare_broker() -> Iterator[str]:
    """A broker without any topic: ingest must create them."""
    broker = EmbeddedKafka()
    yield broker.start()
    broker.stop()


async def topic_names(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def test_creates_topics_serves_metrics_and_drains_on_sigterm(
    bare_broker: str, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    await register_shop(engine, "shop-proc")
    port = free_port()
    log = tmp_path / "ingest.log"
    process = spawn_ingest(
        database_url, bare_broker, "ingest-proc", log, INGEST_METRICS_PORT=str(port)
    )
    try:

        async def topics_exist() -> bool:
            return set(topics.ALL) <= await topic_names(bare_broker)

        await wait_for(topics_exist, 30, "ingest to create the topics")
        events = [chat("shop-proc") for _ in range(150)] + [order("shop-proc") for _ in range(50)]
        await produce(
            bare_broker,
            [(topics.CHAT, b"shop-proc", encode(e)) for e in events[:150]]
            + [(topics.ORDER, b"shop-proc", encode(e)) for e in events[150:]]
            + [(topics.CHAT, b"shop-proc", b"not json")],
        )

        async def all_stored() -> bool:
            rows = await fetch(
                engine,
                "SELECT count(*) AS n FROM (SELECT 1 FROM chat_messages "
                "WHERE shop_id = 'shop-proc' UNION ALL SELECT 1 FROM "
                "order_events WHERE shop_id = 'shop-proc') t",
            )
            return bool(rows[0].n == 200)

        await wait_for(all_stored, 60, "ingest to store the events")
        text = ""

        async def counted() -> bool:  # the batch's offsets committed, its metrics counted
            nonlocal text
            async with httpx.AsyncClient() as client:
                text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            return "ingest_events_stored_total 200.0" in text and "ingest_consumer_lag{" in text

        await wait_for(counted, 60, "the stored events to be counted")
        assert "ingest_events_stored_total 200.0" in text
        assert 'ingest_dead_letters_total{reason="not_json"} 1.0' in text
        assert 'ingest_events_in_total{topic="cs.chat.v1"} 151.0' in text
        assert "ingest_batch_seconds_count" in text
        assert "ingest_consumer_lag{" in text

        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 20) == 0
        assert "ingest_stopped" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    ends = {tp: n for tp, n in (await end_offsets(bare_broker, topics.INPUT)).items() if n}
    committed = await committed_offsets(bare_broker, "ingest-proc")
    assert {tp: committed.get(tp) for tp in ends} == ends


async def test_exits_with_a_message_when_the_broker_is_unreachable(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "ingest.log"
    process = spawn_ingest(database_url, f"127.0.0.1:{free_port()}", "ingest-nobroker", log)
    try:
        code = await asyncio.to_thread(process.wait, 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 2
    assert "ingest: cannot start: KAFKA_BOOTSTRAP_SERVERS=" in log.read_text()
