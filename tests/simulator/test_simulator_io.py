"""The simulator's I/O: producer (with a fake Kafka producer), token bucket, demo API calls."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import unquote

import httpx
import pytest

from shared.simulator import SHANGHAI, SimConfig, SimEvent, generate, scenario_of
from shared.simulator.demo import (
    ApiError,
    _Split,
    build_parser,
    create_api_key,
    example_calls,
    history_config,
    make_config,
    register_shop,
    set_agent_groups,
    wait_ready,
)
from shared.simulator.producer import TokenBucket, stream
from tests.fixtures.clock import NOW


class FakeProducer:
    instances: ClassVar[list[FakeProducer]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.sent: list[tuple[str, bytes, bytes | None]] = []
        self.started = self.stopped = self.flushed = False
        FakeProducer.instances.append(self)

    async def start(self) -> None:
        self.started = True

    async def send(
        self, topic: str, value: bytes, key: bytes | None = None
    ) -> asyncio.Future[None]:
        self.sent.append((topic, value, key))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut

    async def flush(self) -> None:
        self.flushed = True

    async def stop(self) -> None:
        self.stopped = True


def _events(n: int) -> list[SimEvent]:
    return list(generate(SimConfig(seed=1), count=n))


async def test_stream_sends_everything_in_order() -> None:
    events = _events(2500)
    sent = await stream(events, "broker:9092", producer_factory=FakeProducer)
    fake = FakeProducer.instances[-1]
    assert sent == 2500
    assert fake.sent == [(e.topic, e.value, e.key) for e in events]
    assert fake.started and fake.flushed and fake.stopped
    assert fake.kwargs["bootstrap_servers"] == "broker:9092"
    assert fake.kwargs["linger_ms"] > 0


async def test_stream_accepts_async_iterables() -> None:
    events = _events(10)

    async def agen() -> AsyncIterator[SimEvent]:
        for e in events:
            yield e

    assert await stream(agen(), "b", producer_factory=FakeProducer) == 10


async def test_stream_rate_limit() -> None:
    t0 = time.monotonic()
    sent = await stream(_events(30), "b", rate=100.0, producer_factory=FakeProducer)
    elapsed = time.monotonic() - t0
    assert sent == 30
    assert elapsed >= 0.15  # burst of 10, then 20 more at 100/s


async def test_stream_realtime_waits_for_event_time() -> None:
    ev = _events(1)[0]
    future = ev._replace(at_ms=int((time.time() + 0.3) * 1000))
    t0 = time.monotonic()
    assert await stream([future], "b", realtime=True, producer_factory=FakeProducer) == 1
    assert time.monotonic() - t0 >= 0.25


async def test_stream_stops_when_asked() -> None:
    """Asked to stop after the fifth send (not after some seconds): nothing more is sent."""
    stop = asyncio.Event()

    class StopsAfterFive(FakeProducer):
        async def send(
            self, topic: str, value: bytes, key: bytes | None = None
        ) -> asyncio.Future[None]:
            sent = await super().send(topic, value, key)
            if len(self.sent) == 5:
                stop.set()
            return sent

    events = generate(SimConfig(seed=2), count=100)
    sent = await stream(events, "b", rate=500.0, stop=stop, producer_factory=StopsAfterFive)
    assert sent == 5
    assert FakeProducer.instances[-1].stopped


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(10.0, burst=2.0, clock=lambda: now[0])
    assert bucket.delay() == 0.0
    bucket.tokens -= 1
    bucket.tokens -= 1
    assert bucket.delay() == pytest.approx(0.1)
    now[0] += 0.1
    assert bucket.delay() == 0.0
    now[0] += 100
    bucket.delay()
    assert bucket.tokens == 2.0
    with pytest.raises(ValueError):
        TokenBucket(0)


def _client(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url="http://api", transport=httpx.MockTransport(handler))


async def test_register_shop_and_key() -> None:
    calls: list[tuple[str, str, bytes]] = []
    status = {"shop": 201}

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append((req.method, req.url.raw_path.decode(), req.content))
        assert req.headers["authorization"] == "Bearer admin-token-xxxxxxxx"
        if req.url.path == "/admin/shops":
            return httpx.Response(status["shop"], json={"type": "about:blank", "title": "t"})
        if req.url.path.endswith("/api-keys"):
            return httpx.Response(201, json={"id": "k1", "key": "ks_secret"})
        return httpx.Response(404)

    async with httpx.AsyncClient(
        base_url="http://api",
        transport=httpx.MockTransport(handler),
        headers={"Authorization": "Bearer admin-token-xxxxxxxx"},
    ) as client:
        assert await register_shop(client, "demo shop", "演示") is True
        status["shop"] = 409
        assert await register_shop(client, "demo shop", "演示") is False
        status["shop"] = 500
        with pytest.raises(ApiError):
            await register_shop(client, "demo shop", "演示")
        key = await create_api_key(client, "demo shop")
    assert key == {"id": "k1", "key": "ks_secret"}
    assert calls[0][0] == "POST"
    assert json.loads(calls[0][2]) == {"shop_id": "demo shop", "name": "演示"}
    assert calls[-1][1] == "/admin/shops/demo%20shop/api-keys"


async def test_create_api_key_error() -> None:
    async with _client(lambda req: httpx.Response(404, json={"detail": "no such shop"})) as c:
        with pytest.raises(ApiError, match="no such shop"):
            await create_api_key(c, "x")


async def test_wait_ready_polls_until_200() -> None:
    answers = [503, 503, 200]

    def handler(req: httpx.Request) -> httpx.Response:
        assert req.url.path == "/readyz"
        return httpx.Response(answers.pop(0))

    async with _client(handler) as c:
        await wait_ready(c, wait_seconds=5, interval=0.01)
    assert answers == []

    async with _client(lambda req: httpx.Response(503)) as c:
        with pytest.raises(ApiError, match="not ready"):
            await wait_ready(c, wait_seconds=0.05, interval=0.01)


def test_example_calls() -> None:
    lines = example_calls("http://127.0.0.1:8000/", "KEY", datetime(2026, 11, 23, tzinfo=SHANGHAI))
    assert lines[0] == (
        "curl -H 'Authorization: Bearer KEY' 'http://127.0.0.1:8000/v1/metrics"
        "?from=2026-11-17&to=2026-11-23&granularity=day&group_by=agent'"
    )


def test_make_config_live_and_count() -> None:
    now = NOW.astimezone(SHANGHAI)
    args = build_parser().parse_args(["--rate", "50", "--shop", "demo-shop", "--seed", "4"])
    cfg, rate = make_config(args, now)
    assert rate == 50.0
    assert cfg.shop_ids == ("demo-shop",) and cfg.seed == 4
    assert cfg.start == now - timedelta(minutes=30) and cfg.now is None and not cfg.diurnal
    now_ms = int(now.timestamp() * 1000)
    split = _Split(generate(cfg), now_ms)
    backlog = list(split.head())
    assert backlog and all(e.at_ms <= now_ms for e in backlog)
    live = split.tail()
    assert all(next(live).at_ms > now_ms for _ in range(100))

    args = build_parser().parse_args(["--count", "3000", "--no-api", "--shops", "3"])
    cfg, rate = make_config(args, now)
    assert rate is None
    assert cfg.now == now and cfg.start == now - timedelta(hours=72)
    assert cfg.shop_ids == ("demo-shop-000", "demo-shop-001", "demo-shop-002")
    events = list(generate(cfg, 3000))
    assert len(events) == 3000
    assert all(e.at_ms <= int(now.timestamp() * 1000) for e in events)


def test_the_demo_history_is_weeks_of_returning_buyers_before_the_warm_up() -> None:
    now = NOW.astimezone(SHANGHAI)
    args = build_parser().parse_args(
        ["--rate", "20", "--seed", "4", "--history-days", "28", "--history-events", "4000"]
    )
    live, _ = make_config(args, now)
    history = history_config(args, live)
    assert history is not None
    assert history.start == live.start - timedelta(days=28) and history.now == live.start
    events = list(generate(history))
    start_ms, end_ms = (int(t.timestamp() * 1000) for t in (history.start, live.start))
    assert 2000 < len(events) < 8000  # about the events asked for
    assert all(start_ms <= e.at_ms <= end_ms for e in events)
    days = {e.at_ms // 86_400_000 for e in events}
    assert len(days) >= 27  # spread over the weeks, not bunched
    live_buyers = {e.event["buyer_id"] for e in generate(live, 500) if e.event}
    history_buyers = {e.event["buyer_id"] for e in events if e.event}
    assert live_buyers & history_buyers  # the same shop's buyers come back
    live_ids = {e.event["event_id"] for e in generate(live, 500) if e.event}
    assert not live_ids & {e.event["event_id"] for e in events if e.event}

    for none in (["--history-days", "0"], ["--count", "100"]):
        args = build_parser().parse_args(["--seed", "4", *none])
        assert history_config(args, make_config(args, now)[0]) is None


async def test_set_agent_groups_patches_each_agent() -> None:
    shop = scenario_of(SimConfig(agents_per_shop=6))[0]
    seen: dict[str, dict[str, Any]] = {}

    def handler(req: httpx.Request) -> httpx.Response:
        assert req.method == "PATCH" and req.headers["authorization"] == "Bearer KEY"
        agent_id = unquote(req.url.raw_path.decode().removeprefix("/v1/agents/"))
        if agent_id == shop.agents[0].agent_id:
            return httpx.Response(404, json={"detail": "not seen yet"})
        seen[agent_id] = json.loads(req.content)
        return httpx.Response(200, json={})

    async with _client(handler) as c:
        left = await set_agent_groups(c, "KEY", shop)
    assert left == [shop.agents[0]]
    for agent in shop.agents[1:]:
        body = seen[agent.agent_id]
        assert body["group"] == agent.group and body["display_name"] == agent.name
        assert body.get("mentor_id") == agent.mentor_id
