"""aiokafka producer/consumer factories and topic management.

Every consumer reads batches compressed with gzip, snappy, lz4 or zstd (aiokafka decodes
them through the lz4, cramjam and zstandard packages declared as dependencies).
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared import topics
from shared.logging import get_logger
from shared.settings import Settings, get_settings

log = get_logger(__name__)


def create_producer(settings: Settings | None = None, **overrides: object) -> AIOKafkaProducer:
    settings = settings or get_settings()
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
    settings: Settings | None = None,
    **overrides: object,
) -> AIOKafkaConsumer:
    settings = settings or get_settings()
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
    settings: Settings | None = None,
    names: Iterable[str] = topics.ALL,
    *,
    partitions: int | None = None,
) -> list[str]:
    """Create the missing topics; return the names created.

    Raises RuntimeError naming the topic when the broker refuses to create it.
    """
    settings = settings or get_settings()
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


async def seek_within_log(
    consumer: AIOKafkaConsumer, positions: dict[TopicPartition, int]
) -> list[TopicPartition]:
    """Seek each partition to its stored offset, unless the broker's log ends before it.

    A broker that restarted empty (Tansu keeps topics in memory) has an end offset below
    what we stored; seeking there would wait forever. Such partitions restart from the
    beginning of what the broker has, with a warning. Returns the partitions reset.
    """
    if not positions:
        return []
    ends = await consumer.end_offsets(list(positions))
    reset: list[TopicPartition] = []
    for tp, offset in positions.items():
        if offset > ends.get(tp, 0):
            log.warning(
                "stored_offset_past_log_end",
                topic=tp.topic,
                partition=tp.partition,
                stored=offset,
                log_end=ends.get(tp),
            )
            reset.append(tp)
            consumer.seek(tp, 0)
        else:
            consumer.seek(tp, offset)
    if reset:
        await consumer.seek_to_beginning(*reset)
    return reset
