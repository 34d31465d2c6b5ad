"""The broker stopped for OUTAGE_S in the middle of a stream, then started again.

Ingest and scoring run in-process against the real Postgres and an embedded broker of
the test's own, with the API beside them. The embedded broker (Tansu) keeps everything in
memory, so it comes back empty, with new topic ids, at the same address: what it can keep
and what it cannot is written in docs/operations.md ("Outages"). The promises tested are
the ones it allows: no service stops; /readyz is a 503 problem naming the broker while
shop requests are still served from the database; afterwards both services read the new
logs from their start, what ingest stored before the outage but scoring had not scored is
caught up from the raw tables, and the rollups and facts equal the batch recomputation of
every event that reached the database (all that was produced except nothing: the test
produces only while the broker is up and waits until ingest has stored each part).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import topics
from shared.embedded import EmbeddedKafka, free_port
from shared.kafka import ensure_topics
from shared.settings import Settings
from tests.e2e.test_database_outage import (
    PROBLEM,
    alive,
    answers,
    api,
    input_records,
    settled,
    shops_with_keys,
    until_status,
)
from tests.ingest.harness import RunningIngest, ingest_settings
from tests.ingest.harness import produce as produce_input
from tests.scoring.stream import (
    expected_facts,
    expected_rollups,
    generate,
    read_facts,
    read_rollups,
    running_worker,
)

pytestmark = pytest.mark.slow
OUTAGE_S = 30.0


async def start_broker(broker: EmbeddedKafka) -> str:
    bootstrap = broker.start()
    await ensure_topics(Settings(kafka_bootstrap_servers=bootstrap), topics.ALL, partitions=4)
    return bootstrap


async def stored_all(engine: AsyncEngine, group: str, events: list[dict[str, Any]]) -> None:
    from tests.e2e.test_database_outage import stored_ids

    wanted = sorted({(e["shop_id"], e["event_id"]) for e in events})
    shops = sorted({e["shop_id"] for e in events})
    deadline = asyncio.get_running_loop().time() + 120
    while sorted(await stored_ids(engine, shops)) != wanted:
        assert asyncio.get_running_loop().time() < deadline, "not stored"
        await asyncio.sleep(0.1)


async def test_broker_stopped_mid_stream_and_started_again(
    engine: AsyncEngine, settings: Settings
) -> None:
    broker = EmbeddedKafka(port=free_port())
    bootstrap = await start_broker(broker)
    base = settings.model_copy(update={"kafka_bootstrap_servers": bootstrap})
    admin = {"Authorization": f"Bearer {base.admin_token}"}
    run = uuid.uuid4().hex[:6]
    shops = [f"brk-{run}-{i}" for i in range(3)]
    events = [
        e for i, shop in enumerate(shops) for e in generate(60 + i, shop, 2500, prefix=f"{run}-")
    ]
    events.sort(key=lambda e: (e["event_id"].split("-")[-1], e["shop_id"]))
    before, after = events[:4000], events[4000:]
    group = f"scoring-brk-{run}"
    try:
        async with api(base) as client:
            keys = await shops_with_keys(client, admin, shops)
            metrics_path = "/v1/metrics?from=2026-11-09&to=2026-11-13"
            await produce_input(bootstrap, input_records(before))
            ingest = await RunningIngest(ingest_settings(base)).start()
            async with running_worker(engine, base, group) as (_, scoring):
                assert ingest._task is not None
                tasks = {"ingest": ingest._task, "scoring": scoring}
                # Stored by ingest; scoring may still be behind when the broker goes.
                await stored_all(engine, group, before)
                broker.stop()
                started = asyncio.get_running_loop().time()
                ready = await until_status(client, "/readyz", {}, 503, limit=30)
                assert ready.headers["content-type"] == PROBLEM
                assert "broker" in ready.json()["detail"]
                assert int(ready.headers["retry-after"]) > 0
                while asyncio.get_running_loop().time() - started < OUTAGE_S:
                    alive(tasks)
                    # The shop API needs only the database.
                    assert await answers(client, metrics_path, keys[shops[0]]) == 200
                    await asyncio.sleep(1.0)
                alive(tasks)
                await start_broker(broker)  # the same address, empty
                await until_status(client, "/readyz", {}, 200, limit=30)
                await produce_input(bootstrap, input_records(after))
                await settled(engine, group, events)
                alive(tasks)
            await ingest.stop()
    finally:
        broker.stop()

    for shop in shops:
        assert await read_rollups(engine, shop) == expected_rollups(events, shop), shop
        assert await read_facts(engine, shop) == expected_facts(events, shop), shop


async def test_replay_while_the_broker_is_down_is_a_503_problem(
    engine: AsyncEngine, settings: Settings
) -> None:
    """The API's one producer (dead-letter replay) meets a stopped broker: a problem+json
    503 with Retry-After, never a bare 500, whether its producer had started before the
    broker went or starts while it is away; nothing is marked replayed or audited, and the
    same replay succeeds once the broker is back."""
    from tests.api.test_admin_ops import GOOD, add_letter

    broker = EmbeddedKafka(port=free_port())
    bootstrap = await start_broker(broker)
    base = settings.model_copy(update={"kafka_bootstrap_servers": bootstrap})
    admin = {"Authorization": f"Bearer {base.admin_token}"}
    shop = f"brk-replay-{uuid.uuid4().hex[:6]}"
    body = {"shop_id": shop}

    async def refused(client: httpx.AsyncClient) -> None:
        started = asyncio.get_running_loop().time()
        r = await client.post("/admin/dead-letters/replay", json=body, headers=admin)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == PROBLEM
        assert int(r.headers["retry-after"]) > 0
        assert r.json()["status"] == 503 and "broker" in r.json()["detail"]
        assert asyncio.get_running_loop().time() - started < 60, "answered within a minute"

    async def replayed(client: httpx.AsyncClient) -> list[int]:
        r = await client.get(
            "/admin/dead-letters", headers=admin, params={"shop_id": shop, "replayed": True}
        )
        return sorted(d["id"] for d in r.json()["items"])

    async def audited(client: httpx.AsyncClient) -> int:
        r = await client.get("/admin/audit", headers=admin, params={"shop_id": shop})
        return len(r.json()["items"])

    try:
        async with api(base) as client:
            created = await client.post("/admin/shops", json={**body, "name": shop}, headers=admin)
            assert created.status_code == 201, created.text
            first = await add_letter(engine, shop, GOOD, "unknown_shop", 40_001)
            ok = await client.post("/admin/dead-letters/replay", json=body, headers=admin)
            assert ok.status_code == 200 and ok.json()["ids"] == [first], ok.text
            entries = await audited(client)
            second = await add_letter(engine, shop, GOOD, "unknown_shop", 40_002)
            broker.stop()
            await refused(client)  # the producer started before the broker went
            async with api(base) as fresh:
                await refused(fresh)  # a producer started while it is away
            assert await replayed(client) == [first]
            assert await audited(client) == entries
            await start_broker(broker)
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                r = await client.post("/admin/dead-letters/replay", json=body, headers=admin)
                if r.status_code == 200:
                    break
                assert r.status_code == 503, r.text
                assert asyncio.get_running_loop().time() < deadline, "no replay after the outage"
                await asyncio.sleep(1.0)
            assert r.json()["ids"] == [second]
            assert await replayed(client) == [first, second]
            assert await audited(client) == entries + 1
    finally:
        broker.stop()
