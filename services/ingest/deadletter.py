"""Dead letters on cs.deadletter.v1: the original bytes, and headers saying why.

Headers: `reason`, `detail`, `src_topic`, `src_partition`, `src_offset`, and `shop_id` /
`event_id` when they could be read. The key is the original key (normally the shop id).
A value larger than MAX_KAFKA_VALUE (an over-size event far beyond the 64 KiB limit)
is sent without its value and with `truncated: true`; the Postgres row keeps every byte.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.ingest.batch import DeadLetter
from services.ingest.forward import OutMessage
from shared import topics

MAX_KAFKA_VALUE = 900 * 1024  # under the producer's max_request_size and Kafka's 1 MB default


def dead_letter_messages(letters: Iterable[DeadLetter]) -> list[OutMessage]:
    return [_message(letter) for letter in letters]


def _message(letter: DeadLetter) -> OutMessage:
    record = letter.record
    headers: list[tuple[str, bytes]] = [
        ("reason", str(letter.reason).encode()),
        ("detail", letter.detail.encode()),
        ("src_topic", record.topic.encode()),
        ("src_partition", str(record.partition).encode()),
        ("src_offset", str(record.offset).encode()),
    ]
    if letter.shop_id:
        headers.append(("shop_id", letter.shop_id.encode()))
    if letter.event_id is not None:
        headers.append(("event_id", letter.event_id.encode()))
    value = record.value
    if value is not None and len(value) > MAX_KAFKA_VALUE:
        headers.append(("truncated", b"true"))
        value = None
    key = record.key
    if key is None and value is None:  # Kafka needs one of them
        key = letter.shop_id.encode()
    return OutMessage(topics.DEADLETTER, key, value, headers)
