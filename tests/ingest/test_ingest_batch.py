"""The pure ingest core: validation, shop and clock checks, dedupe (SPEC §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.ingest.batch import InRecord, StoredEvent, Validated, parse_all, resolve, validate
from shared.contracts import RejectReason
from tests.fixtures.clock import NOW
from tests.ingest.builders import chat, encode, order, stamp

SHOPS = {"shop-a": 400, "shop-short": 30}


def rec(value: bytes | None, offset: int = 0, partition: int = 0, topic: str = "cs.chat.v1"):
    return InRecord(topic, partition, offset, b"shop-a", value)


def check(*records: InRecord) -> Validated:
    return validate(parse_all(records), retention=SHOPS, now=NOW)


def reason_of(value: bytes | None) -> RejectReason:
    result = check(rec(value))
    assert not result.candidates
    [letter] = result.rejected
    assert letter.detail
    return letter.reason


def test_valid_events_of_either_kind_on_either_topic() -> None:
    result = check(
        rec(encode(chat()), 0, topic="cs.order.v1"), rec(encode(order()), 1, topic="cs.chat.v1")
    )
    assert [c.parsed.kind for c in result.candidates] == ["chat.message", "order.paid"]
    assert not result.rejected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", RejectReason.NOT_JSON),
        (b"\xff\xfe", RejectReason.NOT_JSON),
        (None, RejectReason.NOT_JSON),
        (b"[1, 2]", RejectReason.NOT_OBJECT),
        (encode(chat(type="chat.deleted")), RejectReason.UNKNOWN_TYPE),
        (encode(chat(sender="robot")), RejectReason.INVALID_FIELDS),
        (encode(order(amount=199)), RejectReason.INVALID_FIELDS),
        (encode(chat(sent_at="2026-11-11T10:00:03")), RejectReason.INVALID_FIELDS),
        (encode(chat(shop_id="nobody")), RejectReason.UNKNOWN_SHOP),
        (encode(chat(sent_at=stamp(NOW + timedelta(minutes=6)))), RejectReason.FUTURE_TIMESTAMP),
        (encode(chat(sent_at=stamp(NOW - timedelta(days=401)))), RejectReason.TOO_OLD),
        (encode(chat(text="x" * 70_000)), RejectReason.OVER_SIZE),
        # Values the contract allows but Postgres cannot store must not fail a batch.
        (encode(chat(text="a\u0000b")), RejectReason.INVALID_FIELDS),
        (encode(order(amount="123456789012345.00")), RejectReason.INVALID_FIELDS),
    ],
)
def test_rejections_name_their_reason(value: bytes | None, reason: RejectReason) -> None:
    assert reason_of(value) == reason


def test_unknown_shop_keeps_the_claimed_ids() -> None:
    [letter] = check(rec(encode(chat(shop_id="nobody", event_id="e1")))).rejected
    assert (letter.shop_id, letter.event_id) == ("nobody", "e1")
    assert "register" in letter.detail


def test_retention_is_per_shop() -> None:
    old = stamp(NOW - timedelta(days=31))
    assert check(rec(encode(chat(sent_at=old)))).candidates
    assert reason_of(encode(chat(shop_id="shop-short", sent_at=old))) == RejectReason.TOO_OLD


def test_first_by_partition_and_offset_wins_within_a_batch() -> None:
    first, same, other = chat(event_id="e"), chat(event_id="e"), chat(event_id="e", text="改了")
    same["sent_at"] = first["sent_at"]
    records = [rec(encode(other), 9), rec(encode(same), 5), rec(encode(first), 2)]
    plan = resolve(check(*records), {})
    assert [c.record.offset for c in plan.insert] == [2]
    assert [c.record.offset for c in plan.forward] == [2]
    assert [c.record.offset for c in plan.duplicates] == [5, 9]
    [conflict] = plan.dead_letters
    assert (conflict.reason, conflict.record.offset) == (RejectReason.CONFLICTING_DUPLICATE, 9)
    assert "cs.chat.v1/0@2" in conflict.detail


def test_invalid_copy_does_not_take_the_event_id() -> None:
    bad, good = chat(event_id="e", sender="robot"), chat(event_id="e")
    plan = resolve(check(rec(encode(bad), 1), rec(encode(good), 2)), {})
    assert [c.record.offset for c in plan.insert] == [2]
    assert [d.reason for d in plan.dead_letters] == [RejectReason.INVALID_FIELDS]


def test_stored_row_from_the_same_source_is_forwarded_again() -> None:
    event = chat(event_id="e")
    validated = check(rec(encode(event), 7))
    plan = resolve(validated, {("shop-a", "e"): StoredEvent(("cs.chat.v1", 0, 7), event)})
    assert not plan.insert and not plan.duplicates and not plan.dead_letters
    assert [c.record.offset for c in plan.forward] == [7]


def test_stored_row_from_another_source_makes_a_duplicate() -> None:
    event = chat(event_id="e")
    stored = {("shop-a", "e"): StoredEvent(("cs.chat.v1", 3, 1), event)}
    plan = resolve(check(rec(encode(event), 7)), stored)
    assert not plan.forward and len(plan.duplicates) == 1 and not plan.dead_letters
    changed = dict(event, text="另一条")
    plan = resolve(check(rec(encode(changed), 8)), stored)
    assert [d.reason for d in plan.dead_letters] == [RejectReason.CONFLICTING_DUPLICATE]


def test_event_ids_are_unique_across_kinds() -> None:
    plan = resolve(
        check(rec(encode(chat(event_id="e")), 1), rec(encode(order(event_id="e")), 2)), {}
    )
    assert len(plan.insert) == 1
    assert [d.reason for d in plan.dead_letters] == [RejectReason.CONFLICTING_DUPLICATE]


def test_same_event_id_in_two_shops_is_two_events() -> None:
    plan = resolve(
        validate(
            parse_all(
                [
                    rec(encode(chat(event_id="e")), 1),
                    rec(encode(chat(shop_id="shop-short", event_id="e")), 2),
                ]
            ),
            retention=SHOPS,
            now=NOW,
        ),
        {},
    )
    assert len(plan.insert) == 2
