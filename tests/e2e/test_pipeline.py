"""The whole pipeline on the real broker and Postgres: simulator events produced by two
Kafka clients in four compressions, shuffled, duplicated and partly invalid → ingest →
scoring → rollups and the API, held equal to the independent SPEC oracle.

The workload is built from a pinned `now` (ingest's clock is pinned to it too), once for
each of five instants around the two shops' day boundaries: nothing depends on the hour
the test runs at."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import confluent_kafka
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.api.app import create_app
from shared import topics
from shared.embedded import EmbeddedKafka
from shared.kafka import ensure_topics, log_end_offsets, topic_partitions
from shared.schema import agent_daily, dead_letters, shop_daily, shops
from shared.settings import Settings
from shared.simulator import SimConfig, SimEvent, generate
from tests.fixtures.clock import NOW
from tests.fixtures.infra import create_database
from tests.ingest.builders import chat, encode, stamp
from tests.ingest.harness import committed_offsets, end_offsets
from tests.oracle.compare import oracle_rows

ROOT = Path(__file__).resolve().parents[2]
# Shop settings by shop letter; each run's shop ids carry its label.
SHOP_SETTINGS: dict[str, dict[str, Any]] = {
    "a": {},
    # A second shop with its own reading of time: its days cut at 00:00 UTC, not 16:00 UTC
    # (Asia/Shanghai midnight), shorter sessions and a shorter attribution window.
    "b": {
        "timezone": "UTC",
        "session_gap_seconds": 900,
        "attribution_window_seconds": 86400,
        "slow_reply_seconds": 20,
    },
}
SPAN = timedelta(days=4)
AGENTS_PER_SHOP = 5
# Pinned "now"s around the day boundaries of both shops (UTC and Asia/Shanghai).
NOWS = ("00:00", "07:59", "08:00", "16:00", "23:59")
pytestmark = pytest.mark.slow


def _pinned(hh_mm: str) -> datetime:
    hour, minute = map(int, hh_mm.split(":"))
    return NOW.replace(hour=hour, minute=minute, second=0)


def _events(now: datetime, shop_ids: tuple[str, ...]) -> list[SimEvent]:
    """Four days of traffic ending at `now` (about 5 000 events: the stream reaches `now`
    rather than a count), shuffled at the end, with duplicates and invalid events."""
    config = SimConfig(
        seed=20261123,
        shop_ids=shop_ids,
        agents_per_shop=AGENTS_PER_SHOP,
        buyers_per_shop=300,
        start=now - SPAN,
        now=now,
        arrivals_per_hour=3,
        late_fraction=0.05,
        duplicate_fraction=0.05,
        invalid_fraction=0.02,
        id_prefix=f"e2e{now:%H%M}-",
    )
    events = list(generate(config, count=20_000))
    random.Random(7).shuffle(events[-1500:])  # and some thoroughly out of order
    return events


def _at_the_clock_edge(now: datetime, shop_id: str) -> tuple[SimEvent, SimEvent]:
    """One chat message 4 minutes ahead of ingest's pinned clock (accepted) and one 6
    minutes ahead (dead-lettered as in the future): ingest's clock is `now`, not the wall's."""
    made = []
    for minutes in (4, 6):
        event = chat(
            shop_id,
            event_id=f"edge-{minutes}",
            buyer_id="edge-buyer",
            agent_id="edge-agent",
            sent_at=stamp(now + timedelta(minutes=minutes)),
        )
        reason = None if minutes < 5 else "future_timestamp"
        made.append(SimEvent(topics.CHAT, shop_id.encode(), encode(event), event, reason))
    return made[0], made[1]


def _check_workload(events: list[SimEvent], now: datetime, expected: Any) -> None:
    """What makes the run a real check, true whatever the hour of `now`."""
    agents, shops = expected
    for shop in {s for s, _, _ in agents}:
        # 96 hours hold at least three whole local days, plus parts adding up to a day,
        # one of them at least 12 hours long: four days with traffic in every time zone.
        assert len({d for s, d in shops if s == shop}) >= 4, shop
        assert len({a for s, a, _ in agents if s == shop}) >= AGENTS_PER_SHOP, shop
        assert sum(v["paid_buyers"] for (s, _, _), v in agents.items() if s == shop) > 0
    assert len({s for s, _, _ in agents}) == len(SHOP_SETTINGS)
    emitted = max(e.at_ms for e in events) / 1000
    assert now.timestamp() - emitted < 1800, "the stream must reach the pinned now"
    assert len({e.invalid_reason for e in events if e.invalid_reason}) >= 5


async def _produce(bootstrap: str, events: list[SimEvent]) -> None:
    """A quarter each: aiokafka gzip and snappy, librdkafka (confluent-kafka) zstd and lz4."""
    quarters = [events[i::4] for i in range(4)]
    for compression, part in zip(("gzip", "snappy"), quarters[:2], strict=True):
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, compression_type=compression, linger_ms=10
        )
        await producer.start()
        try:
            for e in part:
                await producer.send(e.topic, e.value, key=e.key)
            await producer.flush()
        finally:
            await producer.stop()
    for compression, part in zip(("zstd", "lz4"), quarters[2:], strict=True):
        producer = confluent_kafka.Producer(
            {
                "bootstrap.servers": bootstrap,
                "compression.type": compression,
                "linger.ms": 10,
                "enable.idempotence": False,
                "api.version.request": True,
            }
        )
        for e in part:
            while True:
                try:
                    producer.produce(e.topic, e.value, key=e.key)
                    break
                except BufferError:
                    producer.poll(0.1)
        assert producer.flush(30) == 0, "librdkafka did not deliver everything"


def _start(
    module: str, settings: Settings, log: Path, now: datetime, **extra: str
) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=settings.require_database_url(),
        KAFKA_BOOTSTRAP_SERVERS=settings.require_kafka(),
        INGEST_METRICS_PORT="0",
        SCORING_METRICS_PORT="0",
        INGEST_NOW=now.isoformat(),
        INGEST_GROUP_ID=f"e2e-ingest-{now:%H%M}",
        SCORING_GROUP_ID=f"e2e-scoring-{now:%H%M}",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def _end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    parts = await topic_partitions(bootstrap, [topic])
    ends = await log_end_offsets(bootstrap, parts)  # Tansu under-reports end_offsets
    return {tp.partition: o for tp, o in ends.items()}


async def _wait_until_scored(
    engine: AsyncEngine, bootstrap: str, ingest_group: str, limit_s: float
) -> None:
    """Settled, by conditions rather than time: ingest's committed offsets reach the end of
    the input topics (it commits after storing and forwarding, so cs.events.v1 is then
    complete), then scoring's offsets in Postgres reach the end of cs.events.v1."""
    deadline = time.monotonic() + limit_s
    inputs = {tp: n for tp, n in (await end_offsets(bootstrap, topics.INPUT)).items() if n}
    while True:
        committed = await committed_offsets(bootstrap, ingest_group)
        if all(committed.get(tp, 0) >= n for tp, n in inputs.items()):
            break
        assert time.monotonic() < deadline, f"ingest at {committed}, inputs end at {inputs}"
        await asyncio.sleep(0.2)
    ends = await _end_offsets(bootstrap, topics.EVENTS)
    while True:
        async with engine.connect() as conn:
            done = dict(
                (
                    await conn.execute(
                        text(
                            "SELECT partition, next_offset FROM consumer_offsets WHERE topic = :t"
                        ),
                        {"t": topics.EVENTS},
                    )
                ).all()
            )
        if all(done.get(p, 0) >= end for p, end in ends.items()):
            return
        assert time.monotonic() < deadline, f"scoring at {done}, cs.events.v1 ends at {ends}"
        await asyncio.sleep(0.2)


def _stored_rows(rows: list[Any], key: tuple[str, ...], names: tuple[str, ...]) -> dict[Any, Any]:
    out = {}
    for row in rows:
        values = {n: getattr(row, n) for n in names}
        if any(v != 0 for v in values.values()):
            out[tuple(getattr(row, k) for k in key)] = values
    return out


@pytest.fixture
async def stack(postgres_url: str, migrated_template: str) -> AsyncIterator[Settings]:
    """A fresh database and broker for each pinned now."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None if configured else EmbeddedKafka()
    bootstrap = configured or broker.start()  # type: ignore[union-attr]
    await ensure_topics(Settings(kafka_bootstrap_servers=bootstrap), topics.ALL, partitions=4)
    yield Settings(
        database_url=create_database(postgres_url),
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_partitions=4,
    )
    if broker is not None:
        broker.stop()


@pytest.mark.parametrize("hh_mm", NOWS)
async def test_pipeline_equals_the_spec_oracle(stack: Settings, tmp_path: Path, hh_mm: str) -> None:
    now = _pinned(hh_mm)
    settings = {f"e2e-{hh_mm.replace(':', '')}-{k}": v for k, v in SHOP_SETTINGS.items()}
    shop_a = next(iter(settings))
    engine = create_async_engine(stack.require_database_url())
    try:
        await _run_and_compare(stack, engine, tmp_path, now, settings, shop_a)
    finally:
        await engine.dispose()


async def _run_and_compare(
    stack: Settings,
    engine: AsyncEngine,
    tmp_path: Path,
    now: datetime,
    shop_settings: dict[str, dict[str, Any]],
    shop_a: str,
) -> None:
    async with engine.begin() as conn:
        for shop_id, overrides in shop_settings.items():
            await conn.execute(
                shops.insert().values(shop_id=shop_id, name=shop_id, settings=overrides)
            )
    events = _events(now, tuple(shop_settings))
    events += _at_the_clock_edge(now, shop_a)
    valid = [e.event for e in events if e.invalid_reason is None]
    expected_agents, expected_shops = oracle_rows(valid, shop_settings, {})
    _check_workload(events, now, (expected_agents, expected_shops))

    await _produce(stack.require_kafka(), events)
    ingest = _start("services.ingest", stack, tmp_path / "ingest.log", now)
    scoring = _start("services.scoring", stack, tmp_path / "scoring.log", now)
    try:
        await _wait_until_scored(
            engine, stack.require_kafka(), f"e2e-ingest-{now:%H%M}", limit_s=240
        )
    finally:
        for process in (ingest, scoring):
            process.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=60) for p in (ingest, scoring)]
    assert codes == [0, 0], (tmp_path / "ingest.log").read_text()[-2000:] + (
        tmp_path / "scoring.log"
    ).read_text()[-2000:]

    agent_names = tuple(next(iter(expected_agents.values())))
    shop_names = tuple(next(iter(expected_shops.values())))
    async with engine.connect() as conn:
        stored_agents = _stored_rows(
            list((await conn.execute(select(agent_daily))).all()),
            ("shop_id", "agent_id", "day"),
            agent_names,
        )
        stored_shops = _stored_rows(
            list((await conn.execute(select(shop_daily))).all()), ("shop_id", "day"), shop_names
        )
        letters = Counter(
            dict(
                (
                    await conn.execute(
                        select(dead_letters.c.reason, func.count()).group_by(dead_letters.c.reason)
                    )
                ).all()
            )
        )
    assert stored_agents == expected_agents
    assert stored_shops == expected_shops
    invalid = Counter(e.invalid_reason for e in events if e.invalid_reason)
    assert sum(letters.values()) - letters["conflicting_duplicate"] == sum(invalid.values())
    assert letters["unknown_shop"] == invalid["unknown_shop"]
    assert letters["future_timestamp"] == 1 and letters["too_old"] == 0

    # And through the API: the shop's total row is the sum of the oracle's parts.
    app = create_app(stack.model_copy(update={"admin_token": "e2e-admin-token-0123456789"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        admin = {"Authorization": "Bearer e2e-admin-token-0123456789"}
        key = (await client.post(f"/admin/shops/{shop_a}/api-keys", headers=admin)).json()["key"]
        days = [d for (s, _, d) in expected_agents if s == shop_a]
        response = await client.get(
            "/v1/metrics",
            headers={"Authorization": f"Bearer {key}"},
            params={
                "from": min(days).isoformat(),
                "to": max(days).isoformat(),
                "granularity": "total",
                "group_by": "shop",
            },
        )
    assert response.status_code == 200, response.text
    (row,) = response.json()["rows"]
    mine = [v for (s, _, _), v in expected_agents.items() if s == shop_a]
    for name in (
        "consultations",
        "inquiries",
        "paid_buyers",
        "lost_inquiries",
        "sessions",
        "qa_sessions",
        "buyer_messages",
        "agent_messages",
        "reminded_orders",
    ):
        assert row[name] == sum(v[name] for v in mine), name
    assert Decimal(row["sales_amount"]) == sum(Decimal(v["sales_amount"]) for v in mine)
    paid, asked = sum(v["paid_buyers"] for v in mine), sum(v["inquiries"] for v in mine)
    assert row["inquiry_conversion_rate"] == pytest.approx(paid / asked)
