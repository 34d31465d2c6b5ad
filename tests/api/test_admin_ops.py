"""Operator endpoints against real Postgres and Kafka: dead letters, replay, rescore jobs,
pipeline health."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import topics
from shared.schema import consumer_offsets, dead_letters, raw_purges, rescore_jobs
from tests.fixtures.clock import NOW

from .conftest import make_shop, new_shop_id
from .test_admin_and_auth import assert_problem

GOOD = b'{"event_id":"e1","type":"chat.message"}'
BINARY = b"\xff\xfe not utf-8"


async def add_letter(
    engine: AsyncEngine,
    shop_id: str,
    raw: bytes,
    reason: str,
    offset: int,
    topic: str = topics.CHAT,
) -> int:
    async with engine.begin() as conn:
        return int(
            (
                await conn.execute(
                    insert(dead_letters)
                    .values(
                        shop_id=shop_id,
                        reason=reason,
                        detail=f"{reason} detail",
                        event_id="e1",
                        raw=raw,
                        src_topic=topic,
                        src_partition=0,
                        src_offset=offset,
                    )
                    .returning(dead_letters.c.id)
                )
            ).scalar_one()
        )


async def test_dead_letters_list_get_and_filters(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id = new_shop_id()
    good = await add_letter(api_engine, shop_id, GOOD, "unknown_shop", 10_001)
    binary = await add_letter(api_engine, shop_id, BINARY, "not_json", 10_002)
    listed = (
        await client.get("/admin/dead-letters", headers=admin, params={"shop_id": shop_id})
    ).json()
    assert [d["id"] for d in listed["items"]] == [binary, good]
    assert "raw" not in str(listed["items"][0].keys())
    only = (
        await client.get(
            "/admin/dead-letters", headers=admin, params={"shop_id": shop_id, "reason": "not_json"}
        )
    ).json()
    assert [d["id"] for d in only["items"]] == [binary]
    page = (
        await client.get(
            "/admin/dead-letters", headers=admin, params={"shop_id": shop_id, "limit": 1}
        )
    ).json()
    rest = (
        await client.get(
            "/admin/dead-letters",
            headers=admin,
            params={"shop_id": shop_id, "limit": 1, "cursor": page["next_cursor"]},
        )
    ).json()
    assert [d["id"] for d in page["items"] + rest["items"]] == [binary, good]
    future = (
        await client.get(
            "/admin/dead-letters",
            headers=admin,
            params={"shop_id": shop_id, "from": "2999-01-01T00:00:00Z"},
        )
    ).json()
    assert future["items"] == []
    detail = (await client.get(f"/admin/dead-letters/{good}", headers=admin)).json()
    assert base64.b64decode(detail["raw_base64"]) == GOOD and detail["raw_text"] == GOOD.decode()
    detail = (await client.get(f"/admin/dead-letters/{binary}", headers=admin)).json()
    assert base64.b64decode(detail["raw_base64"]) == BINARY and detail["raw_text"] is None
    assert_problem(await client.get("/admin/dead-letters/999999999", headers=admin), 404)


async def test_replay_reproduces_the_original_bytes(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_engine: AsyncEngine,
    kafka_bootstrap: str,
) -> None:
    shop_id = new_shop_id()
    letter = await add_letter(api_engine, shop_id, GOOD, "unknown_shop", 20_001)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topics.CHAT, p) for p in consumer.partitions_for_topic(topics.CHAT) or ()
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp, end in ends.items():
            consumer.seek(tp, end)
        r = await client.post(
            "/admin/dead-letters/replay", headers=admin, json={"shop_id": shop_id}
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"replayed": 1, "skipped": 0, "ids": [letter]}
        batch = await consumer.getmany(timeout_ms=5000)
        values = [m.value for msgs in batch.values() for m in msgs]
        assert values == [GOOD]
    finally:
        await consumer.stop()
    detail = (await client.get(f"/admin/dead-letters/{letter}", headers=admin)).json()
    assert detail["replayed_at"] is not None
    again = await client.post(
        "/admin/dead-letters/replay", headers=admin, json={"shop_id": shop_id}
    )
    assert again.json()["replayed"] == 0  # never twice
    replayed = (
        await client.get(
            "/admin/dead-letters", headers=admin, params={"shop_id": shop_id, "replayed": True}
        )
    ).json()
    assert [d["id"] for d in replayed["items"]] == [letter]


async def test_rescore_job_lifecycle(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, _ = await make_shop(client, admin)
    r = await client.post(f"/admin/shops/{shop_id}/rescore-jobs", headers=admin)
    assert r.status_code == 202
    job = r.json()
    assert job["status"] == "queued" and job["events_per_second"] is None
    assert r.headers["location"] == f"/admin/shops/{shop_id}/rescore-jobs/{job['job_id']}"
    assert_problem(await client.post(f"/admin/shops/{shop_id}/rescore-jobs", headers=admin), 409)
    async with api_engine.begin() as conn:  # what the scoring service reports as it runs
        await conn.execute(
            update(rescore_jobs)
            .where(rescore_jobs.c.job_id == job["job_id"])
            .values(
                status="running",
                # Long enough ago that the seconds this test takes barely move the rate.
                started_at=func.now() - timedelta(seconds=1000),
                events_total=100_000,
                events_done=25_000,
                buyers_total=10,
                buyers_done=2,
            )
        )
    running = (await client.get(r.headers["location"], headers=admin)).json()
    assert running["progress"] == 0.25
    assert 24 <= running["events_per_second"] <= 25.01  # 25 000 events in 1 000 s (+ this test)
    assert 2999 <= running["seconds_left"] <= 3125  # 75 000 left at that rate
    listed = (await client.get(f"/admin/shops/{shop_id}/rescore-jobs", headers=admin)).json()
    assert [j["job_id"] for j in listed["items"]] == [job["job_id"]]
    assert_problem(await client.post("/admin/shops/nope/rescore-jobs", headers=admin), 404)
    assert_problem(await client.get(f"/admin/shops/{shop_id}/rescore-jobs/x", headers=admin), 404)


async def test_pipeline_health_reports_lag_and_dead_letters(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    api_engine: AsyncEngine,
    kafka_bootstrap: str,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(3):
            await producer.send_and_wait(topics.EVENTS, b"{}", key=b"s", partition=0)
            await producer.send_and_wait(topics.ORDER, b"{}", key=b"s", partition=1)
    finally:
        await producer.stop()
    async with api_engine.begin() as conn:
        await conn.execute(
            insert(consumer_offsets).values(
                group_id="kefu-scoring-test", topic=topics.EVENTS, partition=0, next_offset=1
            )
        )
    await add_letter(api_engine, new_shop_id(), GOOD, "too_big", 30_001)
    health = (await client.get("/admin/pipeline", headers=admin)).json()
    assert health["broker_reachable"] and health["broker_error"] is None
    groups = {g["group_id"]: g for g in health["consumer_groups"]}
    scoring = groups["kefu-scoring-test"]
    p0 = next(p for p in scoring["partitions"] if p["partition"] == 0)
    assert p0["committed"] == 1 and p0["lag"] == p0["end"] - 1 and p0["end"] >= 3
    ingest = groups["kefu-ingest"]
    assert ingest["source"] == "kafka" and ingest["total_lag"] >= 3
    reasons = {d["reason"]: d for d in health["dead_letters"]}
    assert reasons["too_big"]["last_24h"] >= 1 and reasons["too_big"]["total"] >= 1
    assert health["events_per_second"] >= 0


async def test_concurrent_rescore_requests_queue_exactly_one_job(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, _ = await make_shop(client, admin)
    url = f"/admin/shops/{shop_id}/rescore-jobs"
    answers = await asyncio.gather(*(client.post(url, headers=admin) for _ in range(4)))
    assert sorted(r.status_code for r in answers) == [202, 409, 409, 409]
    for r in answers:
        if r.status_code == 409:
            assert_problem(r, 409)
    async with api_engine.connect() as conn:
        active = select(rescore_jobs.c.status).where(rescore_jobs.c.shop_id == shop_id)
        jobs = (await conn.execute(active)).all()
    assert [j.status for j in jobs] == ["queued"]
    # The database itself refuses a second active job, whoever writes it.
    with pytest.raises(IntegrityError):
        async with api_engine.begin() as conn:
            await conn.execute(
                insert(rescore_jobs).values(shop_id=shop_id, job_id="second", status="running")
            )


async def test_pipeline_health_shows_the_latest_raw_purge_per_shop(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, _ = await make_shop(client, admin)
    first = NOW - timedelta(hours=2)
    async with api_engine.begin() as conn:
        for at, buyers, chats, orders in ((first, 3, 40, 5), (NOW, 1, 7, 2)):
            await conn.execute(
                insert(raw_purges).values(
                    shop_id=shop_id,
                    purged_at=at,
                    before=at - timedelta(days=415),
                    buyers=buyers,
                    chat_rows=chats,
                    order_rows=orders,
                    review_rows=1,
                )
            )
    health = (await client.get("/admin/pipeline", headers=admin)).json()
    (mine,) = [p for p in health["raw_purges"] if p["shop_id"] == shop_id]
    assert mine["last_purged_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert (mine["buyers"], mine["chat_rows"], mine["order_rows"]) == (1, 7, 2)
    assert mine["total_rows"] == 40 + 5 + 7 + 2 + 2
