"""Which log a partition's offsets belong to: the broker's topic id.

An offset means something only in the log it was read from. A topic deleted and
recreated, a cluster moved, or the embedded broker restarted (it keeps topics in memory)
gives a partition a new log whose offsets start again at 0, while offsets we stored (in
Postgres, or committed in Kafka) still point into the old one. Kafka gives every topic a
random id at creation (KIP-516, Apache Kafka >= 2.8, in Metadata v10 and later); Tansu
does the same (a time-ordered UUID). So the id identifies the log: it changes exactly when
the partitions' logs are replaced, and not on a broker restart that keeps the data.

aiokafka speaks Metadata up to v5 only, so this module adds v10 on top of aiokafka's
protocol classes (flexible encoding, sent on an ordinary AIOKafkaClient connection). A
broker without topic ids (older than 2.8, or answering the all-zero id) yields None: the
callers then fall back to the log-end check and, for scoring, to the catch-up from the raw
tables (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Collection, Iterable
from io import BytesIO
from typing import Any, TypeAlias

from aiokafka import TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    AbstractType,
    Boolean,
    CompactArray,
    CompactString,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from shared.every import Every
from shared.logging import get_logger

log = get_logger(__name__)

_ZERO = uuid.UUID(int=0)
# A topic deleted and recreated under a running consumer keeps being read at the old
# position (on Apache Kafka and Tansu alike): running services compare ids this often.
LOG_CHECK_S = 5.0


class Uuid(AbstractType[uuid.UUID]):
    """Kafka's UUID type: 16 bytes, big-endian."""

    @classmethod
    def encode(cls, value: uuid.UUID) -> bytes:
        return value.bytes

    @classmethod
    def decode(cls, data: BytesIO) -> uuid.UUID:
        raw = data.read(16)
        if len(raw) != 16:
            raise ValueError("Buffer underrun decoding UUID")
        return uuid.UUID(bytes=raw)


class MetadataResponse_v10(Response):
    API_KEY = 3
    API_VERSION = 10
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "brokers",
            CompactArray(
                ("node_id", Int32),
                ("host", CompactString("utf-8")),
                ("port", Int32),
                ("rack", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("cluster_id", CompactString("utf-8")),
        ("controller_id", Int32),
        (
            "topics",
            CompactArray(
                ("error_code", Int16),
                ("name", CompactString("utf-8")),
                ("topic_id", Uuid),
                ("is_internal", Boolean),
                (
                    "partitions",
                    CompactArray(
                        ("error_code", Int16),
                        ("partition_index", Int32),
                        ("leader_id", Int32),
                        ("leader_epoch", Int32),
                        ("replica_nodes", CompactArray(Int32)),
                        ("isr_nodes", CompactArray(Int32)),
                        ("offline_replicas", CompactArray(Int32)),
                        ("tags", TaggedFields),
                    ),
                ),
                ("topic_authorized_operations", Int32),
                ("tags", TaggedFields),
            ),
        ),
        ("cluster_authorized_operations", Int32),
        ("tags", TaggedFields),
    )


class MetadataRequest_v10(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 3
    API_VERSION = 10
    RESPONSE_TYPE = MetadataResponse_v10
    SCHEMA = Schema(
        (
            "topics",
            CompactArray(
                ("topic_id", Uuid),
                ("name", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("allow_auto_topic_creation", Boolean),
        ("include_cluster_authorized_operations", Boolean),
        ("include_topic_authorized_operations", Boolean),
        ("tags", TaggedFields),
    )


TopicIdRequestStruct: TypeAlias = MetadataRequest_v10


class TopicIdRequest(Request[TopicIdRequestStruct]):
    """Metadata v10 for the named topics, never creating one."""

    API_KEY = 3

    def __init__(self, topics: Iterable[str]) -> None:
        self._topics = list(topics)

    def build(self, request_struct_class: type[TopicIdRequestStruct]) -> TopicIdRequestStruct:
        topics: list[tuple[uuid.UUID, str, dict[int, bytes]]] = [
            (_ZERO, name, {}) for name in self._topics
        ]
        return request_struct_class(topics, False, False, False, {})


def log_ids_from(response: Any) -> dict[str, str | None]:
    """Topic name → its id as text, None where the broker gives no id; topics the broker
    does not know (an error code, e.g. deleted) are left out."""
    ids: dict[str, str | None] = {}
    for error_code, name, topic_id, *_ in response.topics:
        if error_code == 0 and name is not None:
            ids[name] = None if topic_id == _ZERO else str(topic_id)
    return ids


class LogIds:
    """Reads topic ids over a client of its own (start once, ask as often as needed)."""

    def __init__(self, bootstrap: str) -> None:
        self._client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id="kefu-log-ids")
        self._started = False

    async def start(self) -> None:
        if not self._started:
            await self._client.bootstrap()
            self._started = True

    async def close(self) -> None:
        if self._started:
            await self._client.close()
            self._started = False

    async def __aenter__(self) -> LogIds:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def of(self, topics: Iterable[str], *, attempts: int = 5) -> dict[str, str | None]:
        """The current id of each existing topic among `topics` (None: the broker has no
        topic ids). Raises KafkaError when no broker answers after `attempts` tries."""
        names = sorted(set(topics))
        for attempt in range(attempts):
            try:
                await self.start()
                node = self._client.get_random_node()
                response = await self._client.send(node, TopicIdRequest(names))
            except NotImplementedError:  # the broker speaks Metadata below v10: no topic ids
                log.warning("broker_without_topic_ids", topics=names)
                return dict.fromkeys(names)
            except KafkaError:
                if attempt + 1 == attempts:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
            else:
                return log_ids_from(response)
        raise AssertionError("unreachable")


class Resume(enum.Enum):
    """Where a consumer resumes a partition, given what it stored about it."""

    STORED = "stored"  # at the stored position: it belongs to the current log
    ADOPT = "adopt"  # at the stored position, stored before log ids were: take the current
    BEGINNING = "beginning"  # at the log's first record: nothing stored, or another log


def resume(position: int | None, stored_log: str | None, current_log: str | None) -> Resume:
    """A stored position is valid only in the log it was read from (module docstring)."""
    if position is None:
        return Resume.BEGINNING
    if current_log is None:  # the broker gives no ids: only the log-end check can tell
        return Resume.STORED
    if stored_log is None:
        return Resume.ADOPT
    return Resume.STORED if stored_log == current_log else Resume.BEGINNING


class LogWatch:
    """The log each assigned partition is read from, and whether it changed since."""

    def __init__(self, bootstrap: str, *, check_s: float = LOG_CHECK_S) -> None:
        self.ids = LogIds(bootstrap)
        self.logs: dict[TopicPartition, str | None] = {}
        self._check = Every(check_s)

    async def close(self) -> None:
        await self.ids.close()

    def check_due(self) -> bool:
        return self._check.due()

    async def changed(self, owned: Collection[TopicPartition], action: str) -> list[TopicPartition]:
        """The partitions among `owned` whose topic id is no longer the one they were read
        from; each is logged (`action`: what the caller does about it) and takes the new id."""
        if not owned:
            return []
        try:
            current = await self.ids.of({tp.topic for tp in owned}, attempts=1)
        except KafkaError as exc:
            log.warning("log_id_check_failed", error=repr(exc))
            return []
        changed = [
            tp
            for tp in owned
            if current.get(tp.topic) is not None and current[tp.topic] != self.logs.get(tp)
        ]
        for tp in changed:
            log_changed(tp, None, self.logs.get(tp), current[tp.topic], action)
            self.logs[tp] = current[tp.topic]
        return changed


def log_changed(
    tp: TopicPartition, offset: int | None, was: str | None, now: str | None, action: str
) -> None:
    log.warning(
        "partition_log_changed",
        topic=tp.topic,
        partition=tp.partition,
        stored_offset=offset,
        stored_log=was,
        log=now,
        action=action,
    )
