"""The whole pipeline on the real broker and Postgres: simulator events produced by two
Kafka clients in four compressions, shuffled, duplicated and partly invalid → ingest →
scoring → rollups and the API, held equal to the independent SPEC oracle."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import confluent_kafka
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from shared import topics
from shared.kafka import log_end_offsets, topic_partitions
from shared.schema import agent_daily, dead_letters, shop_daily, shops
from shared.settings import Settings
from shared.simulator import SimConfig, SimEvent, generate
from tests.oracle.compare import oracle_rows

ROOT = Path(__file__).resolve().parents[2]
SHOP_SETTINGS: dict[str, dict[str, Any]] = {
    "e2e-shop-a": {},
    # A second shop with its own reading of time: shorter sessions, a shorter window.
    "e2e-shop-b": {
        "session_gap_seconds": 900,
        "attribution_window_seconds": 86400,
        "slow_reply_seconds": 20,
    },
}
pytestmark = pytest.mark.slow


def _events() -> list[SimEvent]:
    now = datetime.now(UTC).replace(microsecond=0)
    config = SimConfig(
        seed=20261123,
        shop_ids=tuple(SHOP_SETTINGS),
        agents_per_shop=5,
        buyers_per_shop=300,
        start=now - timedelta(days=6),
        now=now,
        arrivals_per_hour=10,
        late_fraction=0.05,
        duplicate_fraction=0.05,
        invalid_fraction=0.02,
    )
    events = list(generate(config, count=12_000))
    random.Random(7).shuffle(events[-3000:])  # and some thoroughly out of order
    return events


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


def _start(module: str, settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=settings.require_database_url(),
        KAFKA_BOOTSTRAP_SERVERS=settings.require_kafka(),
        INGEST_METRICS_PORT="0",
        SCORING_METRICS_PORT="0",
        LOG_LEVEL="WARNING",
    )
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


async def _wait_until_scored(engine: AsyncEngine, bootstrap: str, limit_s: float) -> None:
    """Settled: the stored + dead-lettered rows stop growing and scoring's offsets (in
    Postgres) reach the end of cs.events.v1."""
    deadline = time.monotonic() + limit_s
    last: tuple[int, ...] = ()
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        ends = await _end_offsets(bootstrap, topics.EVENTS)
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
            counts = tuple(
                (
                    await conn.execute(
                        text(
                            "SELECT (SELECT count(*) FROM chat_messages), (SELECT count(*) FROM "
                            "order_events), (SELECT count(*) FROM dead_letters)"
                        )
                    )
                ).one()
            )
        caught_up = all(done.get(p, 0) >= end for p, end in ends.items()) and sum(ends.values())
        if counts != last:
            last, stable_since = counts, time.monotonic()
        if caught_up and time.monotonic() - stable_since > 3:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"pipeline did not settle in {limit_s} s: rows {last}")


def _stored_rows(rows: list[Any], key: tuple[str, ...], names: tuple[str, ...]) -> dict[Any, Any]:
    out = {}
    for row in rows:
        values = {n: getattr(row, n) for n in names}
        if any(v != 0 for v in values.values()):
            out[tuple(getattr(row, k) for k in key)] = values
    return out


async def test_pipeline_equals_the_spec_oracle(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.begin() as conn:
        for shop_id, overrides in SHOP_SETTINGS.items():
            await conn.execute(
                shops.insert().values(shop_id=shop_id, name=shop_id, settings=overrides)
            )
    events = _events()
    await _produce(settings.require_kafka(), events)
    ingest = _start("services.ingest", settings, tmp_path / "ingest.log")
    scoring = _start("services.scoring", settings, tmp_path / "scoring.log")
    try:
        await _wait_until_scored(engine, settings.require_kafka(), limit_s=240)
    finally:
        for process in (ingest, scoring):
            process.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=60) for p in (ingest, scoring)]
    assert codes == [0, 0], (tmp_path / "ingest.log").read_text()[-2000:] + (
        tmp_path / "scoring.log"
    ).read_text()[-2000:]

    valid = [e.event for e in events if e.invalid_reason is None]
    expected_agents, expected_shops = oracle_rows(valid, SHOP_SETTINGS, {})
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
    assert len(expected_agents) > 30 and len(expected_shops) > 5  # a real workload
    assert sum(v["paid_buyers"] for v in expected_agents.values()) > 0
    assert stored_agents == expected_agents
    assert stored_shops == expected_shops
    invalid = Counter(e.invalid_reason for e in events if e.invalid_reason)
    assert len(invalid) >= 5
    assert sum(letters.values()) - letters["conflicting_duplicate"] == sum(invalid.values())
    assert letters["unknown_shop"] == invalid["unknown_shop"]

    # And through the API: the shop's total row is the sum of the oracle's parts.
    app = create_app(settings.model_copy(update={"admin_token": "e2e-admin-token-0123456789"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        admin = {"Authorization": "Bearer e2e-admin-token-0123456789"}
        key = (await client.post("/admin/shops/e2e-shop-a/api-keys", headers=admin)).json()["key"]
        days = [d for (s, _, d) in expected_agents if s == "e2e-shop-a"]
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
    mine = [v for (s, _, _), v in expected_agents.items() if s == "e2e-shop-a"]
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
