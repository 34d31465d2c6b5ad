"""Dead-letter messages, shop settings and the shop cache's expiry."""

from __future__ import annotations

from services.ingest.batch import DeadLetter, InRecord, parse_all, validate
from services.ingest.deadletter import MAX_KAFKA_VALUE, dead_letter_messages
from services.ingest.forward import forward_messages
from services.ingest.shops import retention_days
from shared.contracts import RejectReason
from tests.fixtures.clock import NOW
from tests.ingest.builders import chat, encode


def test_dead_letter_carries_original_bytes_and_reason_headers() -> None:
    record = InRecord("cs.order.v1", 3, 42, b"k", b"{oops")
    [message] = dead_letter_messages([DeadLetter(record, RejectReason.NOT_JSON, "bad", "", None)])
    assert (message.topic, message.key, message.value) == ("cs.deadletter.v1", b"k", b"{oops")
    headers = dict(message.headers or [])
    assert headers == {
        "reason": b"not_json",
        "detail": b"bad",
        "src_topic": b"cs.order.v1",
        "src_partition": b"3",
        "src_offset": b"42",
    }


def test_huge_dead_letter_is_sent_without_its_value() -> None:
    record = InRecord("cs.chat.v1", 0, 1, None, b"x" * (MAX_KAFKA_VALUE + 1))
    [message] = dead_letter_messages(
        [DeadLetter(record, RejectReason.OVER_SIZE, "big", "shop-a", None)]
    )
    assert message.value is None and message.key == b"shop-a"
    assert dict(message.headers or [])["truncated"] == b"true"


def test_forward_is_keyed_by_shop_with_the_original_bytes() -> None:
    raw = encode(chat(shop_id="shop-a"))
    validated = validate(
        parse_all([InRecord("cs.chat.v1", 0, 0, None, raw)]),
        retention={"shop-a": 400},
        now=NOW,
    )
    [message] = forward_messages(validated.candidates)
    assert (message.topic, message.key, message.value) == ("cs.events.v1", b"shop-a", raw)


def test_retention_setting_defaults() -> None:
    assert retention_days(30, 400) == 30
    assert retention_days(10**12, 400) == 100 * 366  # a timedelta could not hold it
    for bad in (None, 0, -5, "30", True, 1.5):
        assert retention_days(bad, 400) == 400
