"""Kafka side of ingest: produce forwards and dead letters, and wait for every ack.

Messages are packed into per-partition batches with aiokafka's batch API: producing one
message at a time costs a future and a task switch per message, which at tens of
thousands of events per second is most of a core. Partitions are chosen exactly like the
default (Java-compatible murmur2) partitioner, so a shop keeps one partition.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from aiokafka import AIOKafkaProducer

from services.ingest.batch import Candidate
from shared import topics

Headers = list[tuple[str, bytes]]
_NO_HEADERS: Headers = []


class OutMessage(NamedTuple):  # one per forwarded event: cheap to create
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers | None = None


def forward_messages(candidates: Iterable[Candidate]) -> list[OutMessage]:
    """cs.events.v1, keyed by shop_id, value = the event's JSON body as it arrived."""
    return [OutMessage(topics.EVENTS, _key(c.key[0]), c.raw) for c in candidates]


@lru_cache(maxsize=65536)
def _key(shop_id: str) -> bytes:
    return shop_id.encode()


@lru_cache(maxsize=65536)
def _hash(key: bytes) -> int:
    return topics.key_hash(key)


async def produce_all(producer: AIOKafkaProducer, messages: Sequence[OutMessage]) -> None:
    """Produce every message and return once the broker acknowledged all of them."""
    if not messages:
        return
    by_partition: dict[tuple[str, int], list[OutMessage]] = defaultdict(list)
    counts: dict[str, int] = {}
    for message in messages:
        if message.topic not in counts:
            counts[message.topic] = len(await producer.partitions_for(message.topic))
        n = counts[message.topic]
        partition = 0 if message.key is None else _hash(message.key) % n
        by_partition[(message.topic, partition)].append(message)
    acks: list[asyncio.Future[object]] = []
    for (topic, partition), group in by_partition.items():
        acks.extend(await _send_partition(producer, topic, partition, group))
    await asyncio.gather(*acks)


async def _send_partition(
    producer: AIOKafkaProducer, topic: str, partition: int, messages: Sequence[OutMessage]
) -> list[asyncio.Future[object]]:
    acks = []
    batch = producer.create_batch()
    for message in messages:
        appended = batch.append(
            timestamp=None,
            key=message.key,
            value=message.value,
            headers=message.headers or _NO_HEADERS,
        )
        if appended is None:  # batch full: ship it and start the next one
            acks.append(await producer.send_batch(batch, topic, partition=partition))
            batch = producer.create_batch()
            if (
                batch.append(
                    timestamp=None,
                    key=message.key,
                    value=message.value,
                    headers=message.headers or _NO_HEADERS,
                )
                is None
            ):
                raise ValueError(f"a message for {topic} is larger than the producer batch")
    if batch.record_count():
        acks.append(await producer.send_batch(batch, topic, partition=partition))
    return acks
