"""Send simulated events to Kafka with aiokafka (batching, optional token-bucket rate)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.simulator.model import SimEvent

#: how many unacknowledged sends to keep before waiting for them
_PENDING = 10_000
#: realtime: the shortest sleep before an event's time (see `stream`)
_REALTIME_TICK_S = 0.005


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; ``take()`` waits for a token."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10.0)
        self.tokens = self.burst
        self.clock = clock
        self.last = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def delay(self) -> float:
        """Seconds to wait before the next token is there (0 if it is)."""
        self._refill()
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    async def take(self) -> None:
        wait = self.delay()
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self.delay()
        self.tokens -= 1.0


async def _aiter(events: Iterable[SimEvent] | AsyncIterable[SimEvent]) -> AsyncIterator[SimEvent]:
    if isinstance(events, AsyncIterable):
        async for ev in events:
            yield ev
    else:
        for ev in events:
            yield ev


async def _sleep_or_stop(seconds: float, stop: asyncio.Event | None) -> bool:
    """Sleep; True if ``stop`` was set meanwhile."""
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def stream(
    events: Iterable[SimEvent] | AsyncIterable[SimEvent],
    bootstrap_servers: str,
    rate: float | None = None,
    *,
    realtime: bool = False,
    stop: asyncio.Event | None = None,
    linger_ms: int = 20,
    max_batch_size: int = 512 * 1024,
    compression_type: str | None = None,
    acks: int | str = 1,
    client_id: str = "kefu-simulator",
    producer_factory: Callable[..., Any] = AIOKafkaProducer,
    on_progress: Callable[[int], None] | None = None,
    record: Callable[[SimEvent], None] | None = None,
) -> int:
    """Produce ``events`` (topic, key, value as generated) and return how many were sent.

    ``rate``: events per second (token bucket), None = as fast as the broker takes them.
    ``realtime``: hold each event until the wall clock reaches its ``at_ms``, so that no
    timestamp is ever in the future. ``stop``: set it to end early (the events sent so
    far are flushed). ``on_progress`` is called with the running count every 1000 events.
    ``record`` is called with each event the broker acknowledged (in ack order).
    """
    producer = producer_factory(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        linger_ms=linger_ms,
        max_batch_size=max_batch_size,
        max_request_size=2 * 1024 * 1024,
        compression_type=compression_type,
        acks=acks,
    )
    bucket = TokenBucket(rate) if rate else None
    sent = 0
    pending: list[asyncio.Future[Any]] = []
    await producer.start()
    try:
        async for ev in _aiter(events):
            if stop is not None and stop.is_set():
                break
            if realtime:
                wait = ev.at_ms / 1000.0 - time.time()
                # At least _REALTIME_TICK_S per sleep: at thousands of events a second the
                # gaps are sub-millisecond, and a timer per event cost the process a
                # quarter of its CPU; after a tick every event due by then goes at once
                # (none before its time, each at most a tick late).
                if wait > 0 and await _sleep_or_stop(max(wait, _REALTIME_TICK_S), stop):
                    break
            if bucket is not None:
                wait = bucket.delay()
                if wait > 0:
                    if await _sleep_or_stop(wait, stop):
                        break
                    await bucket.take()
                else:
                    bucket.tokens -= 1.0
            ack = await producer.send(ev.topic, ev.value, key=ev.key)
            if record is not None:
                ack.add_done_callback(
                    lambda done, ev=ev: None if done.exception() else record(ev)  # type: ignore[misc]
                )
            pending.append(ack)
            sent += 1
            if len(pending) >= _PENDING:
                await asyncio.gather(*pending)
                pending.clear()
            if sent % 1000 == 0:
                if on_progress is not None:
                    on_progress(sent)
                await asyncio.sleep(0)  # let the sender task and signal handlers run
        await producer.flush()
        if pending:
            await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    partitions: int = 8,
    replication_factor: int = 1,
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="kefu-simulator")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(t, num_partitions=partitions, replication_factor=replication_factor)
                    for t in missing
                ]
            )
        return missing
    finally:
        await admin.close()
