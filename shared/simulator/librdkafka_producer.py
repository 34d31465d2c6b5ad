"""The part of AIOKafkaProducer's interface that `producer.stream` uses, on librdkafka.

Why: a load generator shares the machine with the stack it loads. aiokafka encodes and
batches every record in Python (about half of a simulator process's CPU at 1 000
events/s); librdkafka (confluent-kafka, a dev dependency) does it in C, so the soak's
producers leave the two cores to the services they measure. Delivery reports come
through `poll()`, called on the event loop's thread only (a background task and the
flush), so the futures are resolved where they were created.
"""

from __future__ import annotations

import asyncio
from typing import Any

#: how often the background task serves delivery reports
_POLL_S = 0.01


class LibrdkafkaProducer:
    """``start``/``send``/``flush``/``stop`` as `producer.stream` calls them."""

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        client_id: str,
        linger_ms: int,
        max_batch_size: int,
        max_request_size: int,
        compression_type: str | None,
        acks: int | str,
    ) -> None:
        from confluent_kafka import Producer  # dev dependency: imported only when asked for

        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                "client.id": client_id,
                "linger.ms": linger_ms,
                "batch.size": max_batch_size,
                "message.max.bytes": max_request_size,
                "compression.type": compression_type or "none",
                "acks": str(acks),
                "enable.idempotence": False,
                # aiokafka's (and Java's) key hash: a shop's events land on the partition
                # they would from any other producer of ours
                "partitioner": "murmur2_random",
                "queue.buffering.max.messages": 200_000,
            }
        )
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._poller = asyncio.create_task(self._poll_forever())

    async def _poll_forever(self) -> None:
        while True:
            self._producer.poll(0)
            await asyncio.sleep(_POLL_S)

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future[Any]:
        """Queue one record; the future completes with its delivery report."""
        ack: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def delivered(err: Any, _msg: Any) -> None:
            if ack.done():
                return
            if err is not None:
                ack.set_exception(RuntimeError(f"delivery failed: {err}"))
            else:
                ack.set_result(None)

        while True:
            try:
                self._producer.produce(topic, value, key=key, on_delivery=delivered)
                return ack
            except BufferError:  # librdkafka's queue is full: serve reports, then retry
                self._producer.poll(0)
                await asyncio.sleep(_POLL_S)

    async def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until every queued record has its delivery report (at most ``timeout_s``)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self._producer) > 0 and asyncio.get_running_loop().time() < deadline:
            self._producer.poll(0)
            await asyncio.sleep(_POLL_S)

    async def stop(self) -> None:
        await self.flush()
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
