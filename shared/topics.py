"""Kafka topic names fixed by SPEC §10, and which partition a keyed record goes to."""

from aiokafka.partitioner import murmur2

CHAT = "cs.chat.v1"
ORDER = "cs.order.v1"
EVENTS = "cs.events.v1"
DEADLETTER = "cs.deadletter.v1"

ALL = (CHAT, ORDER, EVENTS, DEADLETTER)
INPUT = (CHAT, ORDER)


def key_hash(key: bytes) -> int:
    """The Java client's default partitioner hash (murmur2, positive)."""
    return int(murmur2(key)) & 0x7FFFFFFF


def partition_of(key: bytes, partitions: int) -> int:
    """The partition of a record with this key: ingest forwards cs.events.v1 keyed by
    shop_id, so all of a shop's events share this partition."""
    return key_hash(key) % partitions
