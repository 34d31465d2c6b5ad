"""Which log an offset belongs to: topic ids over Metadata v10, and the resume rule."""

from __future__ import annotations

import uuid
from io import BytesIO

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.kafka_logs import (
    LogIds,
    MetadataRequest_v10,
    MetadataResponse_v10,
    Resume,
    TopicIdRequest,
    log_ids_from,
    resume,
)


@pytest.mark.parametrize(
    ("position", "stored_log", "current_log", "expected"),
    [
        (None, None, "log-a", Resume.BEGINNING),  # nothing stored
        (None, "log-a", "log-a", Resume.BEGINNING),
        (40, "log-a", "log-a", Resume.STORED),  # the same log
        (40, "log-a", "log-b", Resume.BEGINNING),  # another log, longer or not
        (40, None, "log-a", Resume.ADOPT),  # stored before positions carried their log
        (40, "log-a", None, Resume.STORED),  # no topic ids: only the log-end check can tell
        (40, None, None, Resume.STORED),
    ],
)
def test_a_position_is_resumed_only_in_its_own_log(
    position: int | None, stored_log: str | None, current_log: str | None, expected: Resume
) -> None:
    assert resume(position, stored_log, current_log) is expected


def test_metadata_v10_encodes_and_decodes_topic_ids() -> None:
    request = TopicIdRequest(["cs.events.v1"]).build(MetadataRequest_v10)
    assert request.FLEXIBLE_VERSION and request.API_VERSION == 10
    encoded = request.encode()
    decoded = MetadataRequest_v10.SCHEMA.decode(BytesIO(encoded))
    assert decoded[0] == [(uuid.UUID(int=0), "cs.events.v1", {})]
    assert decoded[1] is False  # never auto-creates a topic

    topic_id = uuid.uuid4()
    partition = (0, 0, 1, 3, [1], [1], [], {})
    response = MetadataResponse_v10(
        0,
        [(1, "127.0.0.1", 9092, None, {})],
        "cluster",
        1,
        [
            (0, "cs.events.v1", topic_id, False, [partition], 0, {}),
            (0, "old-broker", uuid.UUID(int=0), False, [partition], 0, {}),
            (3, "deleted", uuid.UUID(int=0), False, [], 0, {}),  # UNKNOWN_TOPIC_OR_PARTITION
        ],
        0,
        {},
    )
    parsed = MetadataResponse_v10.decode(BytesIO(response.encode()))
    assert log_ids_from(parsed) == {"cs.events.v1": str(topic_id), "old-broker": None}


async def test_the_embedded_broker_gives_a_new_id_to_a_recreated_topic(
    kafka_bootstrap: str,
) -> None:
    name = f"test.log-ids.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    ids = LogIds(kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 2, 1)])
        first = (await ids.of([name]))[name]
        assert first is not None and (await ids.of([name]))[name] == first  # stable
        await admin.delete_topics([name])
        assert name not in await ids.of([name])
        await admin.create_topics([NewTopic(name, 2, 1)])
        second = (await ids.of([name]))[name]
        assert second is not None and second != first
    finally:
        await ids.close()
        await admin.close()
