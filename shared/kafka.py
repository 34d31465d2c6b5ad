"""aiokafka producer/consumer factories and topic management.

Every consumer reads batches compressed with gzip, snappy, lz4 or zstd (aiokafka decodes
them through the lz4, cramjam and zstandard packages declared as dependencies).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared import topics
from shared.logging import get_logger
from shared.settings import Settings

log = get_logger(__name__)


def create_producer(settings: Settings, **overrides: object) -> AIOKafkaProducer:
    options: dict[str, object] = {
        "bootstrap_servers": settings.require_kafka(),
        "acks": "all",
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
        "max_request_size": 2 * 1024 * 1024,
        "enable_idempotence": False,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)  # type: ignore[arg-type]


def create_consumer(
    *topic_names: str,
    group_id: str,
    settings: Settings,
    **overrides: object,
) -> AIOKafkaConsumer:
    options: dict[str, object] = {
        "bootstrap_servers": settings.require_kafka(),
        "group_id": group_id,
        "enable_auto_commit": False,
        # A broker restarted empty has no offsets we stored: start from what it has.
        "auto_offset_reset": "earliest",
        "max_partition_fetch_bytes": 4 * 1024 * 1024,
        "fetch_max_bytes": 32 * 1024 * 1024,
        "session_timeout_ms": 30_000,
        "heartbeat_interval_ms": 3_000,
        "max_poll_interval_ms": 300_000,
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topic_names, **options)  # type: ignore[arg-type]


async def ensure_topics(
    settings: Settings,
    names: Iterable[str] = topics.ALL,
    *,
    partitions: int | None = None,
) -> list[str]:
    """Create the missing topics; return the names created.

    Raises RuntimeError naming the topic when the broker refuses to create it.
    """
    partitions = partitions or settings.kafka_topic_partitions
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.require_kafka())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if not missing:
            return []
        new = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=settings.kafka_replication_factor,
            )
            for name in missing
        ]
        try:
            await admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass  # created concurrently by another service: fine
        except Exception as exc:
            raise RuntimeError(
                f"topics {missing} are missing and could not be created on "
                f"{settings.kafka_bootstrap_servers}: {exc!r}; create them with "
                f"{partitions} partitions or grant the CreateTopics permission"
            ) from exc
        log.info("topics_created", topics=missing, partitions=partitions)
        return missing
    finally:
        await admin.close()


async def topic_partitions(bootstrap: str, names: Iterable[str]) -> list[TopicPartition]:
    """Every partition of the named topics that exist (Metadata through the admin client)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(names))
    finally:
        await admin.close()
    return sorted(
        (TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]),
        key=lambda tp: (tp.topic, tp.partition),
    )


async def log_end_offsets(
    bootstrap: str, partitions: Iterable[TopicPartition], *, wait_s: float = 5.0
) -> dict[TopicPartition, int]:
    """The offset after the last record of each partition (0 for an empty one).

    Kafka's ListOffsets(latest) is exactly that, but the embedded Tansu broker answers the
    base offset of the last record batch (+1), which is too low whenever that batch holds
    several records. A short fetch from there reports the true high watermark, so the
    answer holds on every broker.
    """
    tps = list(partitions)
    if not tps:
        return {}
    probe = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=64 * 1024
    )
    await probe.start()
    try:
        reported = {tp: int(o) for tp, o in (await probe.end_offsets(tps)).items()}
        ends = dict(reported)
        waiting = {tp for tp in tps if reported.get(tp, 0) > 0}
        if not waiting:
            return ends
        probe.assign(list(waiting))
        for tp in waiting:
            probe.seek(tp, reported[tp] - 1)
        deadline = time.monotonic() + wait_s
        while waiting and time.monotonic() < deadline:
            await probe.getmany(*waiting, timeout_ms=200)
            for tp in list(waiting):
                high = probe.highwater(tp)
                if high is not None:
                    ends[tp] = max(ends[tp], int(high))
                    waiting.discard(tp)
        if waiting:
            log.warning("log_end_unverified", partitions=[str(tp) for tp in waiting])
        return ends
    finally:
        await probe.stop()


async def seek_within_log(
    consumer: AIOKafkaConsumer,
    bootstrap: str,
    stored: dict[TopicPartition, int],
    assigned: Iterable[TopicPartition] = (),
) -> list[TopicPartition]:
    """Seek each partition to its stored offset, unless the broker's log ends before it.

    A broker that restarted empty (Tansu keeps topics in memory) answers fetches past its
    log end with nothing rather than OffsetOutOfRange, so a consumer would wait forever.
    Such partitions, and assigned ones with nothing stored, restart from the beginning,
    with a warning for the former. Returns the partitions restarted.
    """
    ends = await log_end_offsets(bootstrap, list(stored))
    restart = [tp for tp in assigned if tp not in stored]
    for tp, offset in stored.items():
        if offset > ends.get(tp, 0):
            log.warning(
                "stored_offset_past_log_end",
                topic=tp.topic,
                partition=tp.partition,
                stored=offset,
                log_end=ends.get(tp),
                action="restarting the partition from its first record (broker restarted empty?)",
            )
            restart.append(tp)
        else:
            consumer.seek(tp, offset)
    if restart:
        await consumer.seek_to_beginning(*restart)
    return restart


async def group_lag(
    bootstrap: str, group: str, names: Iterable[str], *, wait_s: float = 0.0
) -> int:
    """Records of the named topics the group has not committed yet, waiting up to
    `wait_s` for them to reach 0."""
    deadline = time.monotonic() + wait_s
    tps = await topic_partitions(bootstrap, names)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        while True:
            ends = await log_end_offsets(bootstrap, tps)
            left = 0
            for tp, end in ends.items():
                left += max(0, end - (await probe.committed(tp) or 0))
            if not left or time.monotonic() >= deadline:
                return left
            await asyncio.sleep(0.2)
    finally:
        await probe.stop()
