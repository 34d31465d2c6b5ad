"""PostgreSQL stopped for OUTAGE_S in the middle of a stream, then started again.

Ingest, scoring, the webhook dispatcher and the API run in-process against a cluster of
the test's own (tests/fixtures/outage.py) and the real broker. While the database is
away: every service keeps running (none of their tasks ends), /readyz is a 503 problem,
a shop request is a 503 problem with Retry-After (never a 500). Afterwards /readyz is
green again, every event is stored once, the rollups and facts equal the batch
recomputation of the whole stream, and every queued webhook is delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from shared import topics
from shared.db import create_engine
from shared.settings import Settings
from tests.fixtures.outage import StoppablePostgres, stoppable_postgres
from tests.ingest.harness import RunningIngest, ingest_settings
from tests.ingest.harness import produce as produce_input
from tests.scoring.stream import (
    expected_facts,
    expected_rollups,
    generate,
    read_facts,
    read_rollups,
    running_worker,
    stored_offsets,
    wait_covered,
)
from tests.webhooks.helpers import dispatcher, enqueue, eventually, shop_with_subscription, statuses
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow
OUTAGE_S = 30.0
PROBLEM = "application/problem+json"


def input_records(events: Iterable[dict[str, Any]]) -> list[tuple[str, bytes, bytes]]:
    return [
        (
            topics.CHAT if e["type"] == "chat.message" else topics.ORDER,
            e["shop_id"].encode(),
            orjson.dumps(e),
        )
        for e in events
    ]


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[StoppablePostgres]:
    with stoppable_postgres(Path(tmp_path_factory.mktemp("outage-pg"))) as pg:
        yield pg  # type: ignore[misc]


async def stored_ids(engine: AsyncEngine, shops: list[str]) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT shop_id, event_id FROM chat_messages WHERE shop_id = ANY(:s)"
                " UNION ALL SELECT shop_id, event_id FROM order_events WHERE shop_id = ANY(:s)"
            ),
            {"s": shops},
        )
        return [(row[0], row[1]) for row in rows]


async def settled(
    engine: AsyncEngine, group: str, events: list[dict[str, Any]], limit_s: float = 180.0
) -> None:
    """Every event stored exactly once, scoring's offsets at the log ends (as many records
    as ingest forwarded), every stored event covered by a derivation."""
    shops = sorted({e["shop_id"] for e in events})
    wanted = sorted({(e["shop_id"], e["event_id"]) for e in events})
    deadline = asyncio.get_running_loop().time() + limit_s
    while (stored := sorted(await stored_ids(engine, shops))) != wanted:
        missing = len(set(wanted) - set(stored))
        twice = len(stored) - len(set(stored))
        assert asyncio.get_running_loop().time() < deadline, (missing, twice)
        await asyncio.sleep(0.2)
    await wait_covered(engine, shops, limit=limit_s)


async def answers(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> int:
    return (await client.get(path, headers=headers)).status_code


async def until_status(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], status: int, limit: float
) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        response = await client.get(path, headers=headers)
        if response.status_code == status:
            return response
        assert response.status_code in (200, 503), (response.status_code, response.text)
        assert asyncio.get_running_loop().time() < deadline, (path, response.status_code)
        await asyncio.sleep(0.2)


def alive(tasks: dict[str, asyncio.Task[Any]]) -> None:
    for name, task in tasks.items():
        assert not task.done(), (name, task.exception() if not task.cancelled() else "cancelled")


@contextlib.asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)  # its own engine, as `python -m services.api` builds it
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


async def shops_with_keys(
    client: httpx.AsyncClient, admin: dict[str, str], shops: list[str]
) -> dict[str, dict[str, str]]:
    """Each shop created through /admin with an API key: shop_id → its auth header."""
    keys = {}
    for shop in shops:
        created = await client.post(
            "/admin/shops", json={"shop_id": shop, "name": shop}, headers=admin
        )
        assert created.status_code == 201, created.text
        key = await client.post(f"/admin/shops/{shop}/api-keys", headers=admin)
        keys[shop] = {"Authorization": f"Bearer {key.json()['key']}"}
    return keys


async def test_postgres_stopped_mid_stream_and_started_again(
    own_postgres: StoppablePostgres, kafka_bootstrap: str
) -> None:
    settings = Settings(
        database_url=own_postgres.url,
        kafka_bootstrap_servers=kafka_bootstrap,
        admin_token="test-admin-token-0123456789",
        kafka_topic_partitions=4,
    )
    admin = {"Authorization": f"Bearer {settings.admin_token}"}
    run = uuid.uuid4().hex[:6]
    shops = [f"outage-{run}-{i}" for i in range(3)]
    events = [
        e for i, shop in enumerate(shops) for e in generate(40 + i, shop, 2500, prefix=f"{run}-")
    ]
    # Interleaved by shop, the stream in three parts: before, during and after the outage.
    events.sort(key=lambda e: (e["event_id"].split("-")[-1], e["shop_id"]))
    before, during, after = events[:3000], events[3000:5500], events[5500:]
    engine = create_engine(settings, pool_size=4)  # pre-ping: survives the restart
    receiver = Receiver().__enter__()  # a real HTTP receiver on loopback
    group = f"scoring-outage-{run}"
    try:
        async with api(settings) as client:
            keys = await shops_with_keys(client, admin, shops)
            hooked = f"outage-hooks-{run}"
            await shop_with_subscription(engine, hooked, receiver.url())
            queued = await enqueue(engine, hooked, 10)
            metrics_path = "/v1/metrics?from=2026-11-09&to=2026-11-13"
            assert await answers(client, metrics_path, keys[shops[0]]) == 200
            assert await answers(client, "/readyz", {}) == 200

            await produce_input(kafka_bootstrap, input_records(before))
            ingest = await RunningIngest(ingest_settings(settings), engine=engine).start()
            hooks = dispatcher(engine)
            stop_hooks = asyncio.Event()
            async with running_worker(engine, settings, group) as (_, scoring):
                tasks = {
                    "ingest": ingest._task,
                    "scoring": scoring,
                    "webhooks": asyncio.create_task(hooks.run(stop_hooks)),
                }
                assert ingest._task is not None

                # Mid-stream: some of the first part scored, not necessarily all.
                async def scored_some() -> bool:
                    return sum((await stored_offsets(engine, group)).values()) > 0

                await eventually(scored_some, limit=60)

                own_postgres.stop()
                started = asyncio.get_running_loop().time()
                await produce_input(kafka_bootstrap, input_records(during))
                ready = await until_status(client, "/readyz", {}, 503, limit=20)
                assert ready.headers["content-type"] == PROBLEM
                assert "database" in ready.json()["detail"]
                shop_call = await until_status(client, metrics_path, keys[shops[0]], 503, 20)
                assert shop_call.headers["content-type"] == PROBLEM
                assert int(shop_call.headers["retry-after"]) > 0
                admin_call = await client.get("/admin/shops", headers=admin)
                assert admin_call.status_code == 503, admin_call.text
                assert admin_call.headers["retry-after"]
                while asyncio.get_running_loop().time() - started < OUTAGE_S:
                    alive(tasks)
                    assert await answers(client, "/readyz", {}) == 503
                    await asyncio.sleep(1.0)
                alive(tasks)
                own_postgres.start()

                await until_status(client, "/readyz", {}, 200, limit=30)
                await produce_input(kafka_bootstrap, input_records(after))
                await settled(engine, group, events)
                queued += await enqueue(engine, hooked, 5)
                deadline = asyncio.get_running_loop().time() + 60
                while set((await statuses(engine, hooked)).values()) != {"delivered"} or len(
                    await statuses(engine, hooked)
                ) != len(queued):
                    assert asyncio.get_running_loop().time() < deadline, "webhooks stuck"
                    await asyncio.sleep(0.2)
                alive(tasks)
                for shop in shops:
                    assert await answers(client, metrics_path, keys[shop]) == 200
                stop_hooks.set()
                await tasks["webhooks"]
            await ingest.stop()
            await hooks.client.aclose()
    finally:
        receiver.__exit__()

    for shop in shops:
        assert await read_rollups(engine, shop) == expected_rollups(events, shop), shop
        assert await read_facts(engine, shop) == expected_facts(events, shop), shop
    delivered = {r.msg_id for r in receiver.requests}
    assert delivered >= set(queued)
    await engine.dispose()
