"""Every rejection class of SPEC §2, each with a reason a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest

from shared.contracts import ChatMessageEvent, OrderEvent, Rejection, RejectReason
from shared.contracts.validation import Parsed, check_event_time, parse_event

NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


def chat(**overrides: Any) -> dict[str, Any]:
    event = {
        "event_id": "m-1",
        "type": "chat.message",
        "shop_id": "shop-1",
        "buyer_id": "tb_buyer",
        "agent_id": "小美",
        "sender": "buyer",
        "sent_at": "2026-11-11T10:00:03.120+08:00",
        "msg_type": "text",
        "text": "在吗？这件有S码吗",
    }
    event.update(overrides)
    return event


def order(**overrides: Any) -> dict[str, Any]:
    event = {
        "event_id": "o-1",
        "type": "order.created",
        "shop_id": "shop-1",
        "order_id": "T100",
        "buyer_id": "tb_buyer",
        "occurred_at": "2026-11-11T10:05:00+08:00",
        "amount": "199.00",
        "items": [{"item_id": "sku-1", "quantity": 1, "price": "199"}],
    }
    event.update(overrides)
    return event


def without(event: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != key}


def rejected(body: Any) -> Rejection:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    result = parse_event(raw)
    assert isinstance(result, Rejection), f"expected a rejection, got {result}"
    assert result.detail, "a rejection must say why"
    return result


def accepted(body: dict[str, Any]) -> Parsed:
    result = parse_event(orjson.dumps(body))
    assert isinstance(result, Parsed), result
    return result


def test_valid_chat_message_parses_with_offset_and_defaults() -> None:
    parsed = accepted(without(chat(), "msg_type"))
    event = parsed.event
    assert isinstance(event, ChatMessageEvent)
    assert event.msg_type == "text"
    assert event.sent_at == datetime(2026, 11, 11, 2, 0, 3, 120000, tzinfo=UTC)
    assert parsed.body["text"] == "在吗？这件有S码吗"


def test_valid_order_events_parse_money_as_decimal() -> None:
    event = accepted(order(amount="59.9")).event
    assert isinstance(event, OrderEvent)
    assert event.amount == Decimal("59.90")
    cancelled = accepted(without(order(type="order.cancelled"), "amount")).event
    assert isinstance(cancelled, OrderEvent) and cancelled.amount is None


def test_null_agent_and_non_text_empty_text_are_valid() -> None:
    accepted(chat(agent_id=None))
    accepted(chat(msg_type="image", text=""))
    accepted(chat(sender="bot"))
    accepted(chat(sent_at="2026-11-11T02:00:03Z"))
    lower = accepted(chat(sent_at="2026-11-11t02:00:03.5z")).event
    assert isinstance(lower, ChatMessageEvent)
    assert lower.sent_at == datetime(2026, 11, 11, 2, 0, 3, 500000, tzinfo=UTC)


def test_over_size() -> None:
    raw = orjson.dumps(chat(text="a" * 9_000, padding="x" * 70_000))
    assert rejected(raw).reason is RejectReason.OVER_SIZE
    assert "64 KiB" in rejected(raw).detail


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b'{"a": 1'])
def test_not_json(raw: bytes) -> None:
    assert rejected(raw).reason is RejectReason.NOT_JSON


def test_not_an_object() -> None:
    assert rejected(b"[1, 2]").reason is RejectReason.NOT_OBJECT


def test_unknown_type_names_the_known_ones() -> None:
    rejection = rejected(chat(type="chat.typing"))
    assert rejection.reason is RejectReason.UNKNOWN_TYPE
    assert "order.paid" in rejection.detail
    assert rejection.shop_id == "shop-1" and rejection.event_id == "m-1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (without(chat(), "agent_id"), "agent_id"),
        (without(chat(), "text"), "text"),
        (without(chat(), "buyer_id"), "buyer_id"),
        (chat(event_id=""), "event_id"),
        (chat(event_id="x" * 129), "event_id"),
        (chat(event_id=17), "event_id"),
        (chat(buyer_id="b" * 129), "buyer_id"),
        (chat(sender="customer"), "sender"),
        (chat(msg_type="video"), "msg_type"),
        (chat(text="t" * 10_001), "text"),
        (chat(text=""), "text"),
        (chat(sent_at="2026-11-11T10:00:03.120"), "sent_at"),
        (chat(sent_at="2026-11-11 10:00:03+08:00"), "sent_at"),
        (chat(sent_at=1762826403), "sent_at"),
        (chat(sent_at="2026-13-11T10:00:03+08:00"), "sent_at"),
        (chat(shop_id="   "), "shop_id"),
        (order(amount=199), "amount"),
        (order(amount="1e3"), "amount"),
        (order(amount="-5"), "amount"),
        (order(amount="+5"), "amount"),
        (order(amount="5.999"), "amount"),
        (order(amount="5."), "amount"),
        (order(amount="199\n"), "amount"),
        (order(amount="１９９"), "amount"),
        (chat(sent_at="2026-11-11T10:00:03+08:00\n"), "sent_at"),
        (chat(sent_at="２０２６-11-11T10:00:03+08:00"), "sent_at"),
        (without(order(type="order.paid"), "amount"), "amount"),
        (without(order(), "order_id"), "order_id"),
        (order(items=[{"item_id": "a", "quantity": 0, "price": "1"}]), "items"),
        (order(items=[{"item_id": "a", "quantity": 1, "price": "1.234"}]), "items"),
    ],
)
def test_invalid_fields_name_the_field(body: dict[str, Any], field: str) -> None:
    rejection = rejected(body)
    assert rejection.reason is RejectReason.INVALID_FIELDS
    assert field in rejection.detail


def test_missing_offset_says_how_to_fix() -> None:
    detail = rejected(chat(sent_at="2026-11-11T10:00:03")).detail
    assert "no UTC offset" in detail and "+08:00" in detail


def test_future_timestamp_beyond_five_minutes() -> None:
    event = accepted(chat(sent_at="2026-11-11T10:05:00+08:00")).event  # NOW + 5 min exactly
    assert check_event_time(event, now=NOW, retention_days=400) is None
    event = accepted(chat(sent_at="2026-11-11T10:05:01+08:00")).event
    rejection = check_event_time(event, now=NOW, retention_days=400)
    assert rejection is not None and rejection.reason is RejectReason.FUTURE_TIMESTAMP


def test_too_old_for_the_shop_retention() -> None:
    old = (NOW - timedelta(days=30, seconds=1)).isoformat()
    event = accepted(chat(sent_at=old)).event
    rejection = check_event_time(event, now=NOW, retention_days=30)
    assert rejection is not None and rejection.reason is RejectReason.TOO_OLD
    assert "30 days" in rejection.detail
    assert check_event_time(event, now=NOW, retention_days=400) is None


def test_extra_fields_are_kept_in_the_body_not_rejected() -> None:
    parsed = accepted(chat(platform="tmall"))
    assert parsed.body["platform"] == "tmall"


def review(**overrides: Any) -> dict[str, Any]:
    event = {
        "event_id": "r-1",
        "type": "review.posted",
        "shop_id": "shop-1",
        "order_id": "T100",
        "buyer_id": "tb_buyer",
        "posted_at": "2026-11-14T20:00:00+08:00",
        "rating": "good",
        "text": "小美服务超好",
        "dsr": {"item": 5, "service": 5, "logistics": 4},
    }
    event.update(overrides)
    return event


def test_valid_review_keeps_known_dsr_keys_and_ignores_others() -> None:
    from shared.contracts import ReviewEvent

    parsed = accepted(review(dsr={"item": 5, "service": 1, "speed": 9, "note": None}))
    event = parsed.event
    assert isinstance(event, ReviewEvent)
    assert event.dsr == {"item": 5, "service": 1}
    assert parsed.occurred == datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
    assert parsed.body["dsr"]["speed"] == 9  # the stored body is the event as it arrived


@pytest.mark.parametrize(
    "body",
    [
        review(dsr=None),
        without(review(), "dsr"),
        review(dsr={}),
        review(dsr={"logistics": 3}),
        review(text=""),
        review(text="好" * 2000),
        review(rating="neutral"),
        review(rating="bad", posted_at="2026-11-14T12:00:00Z"),
    ],
)
def test_reviews_the_contract_allows(body: dict[str, Any]) -> None:
    accepted(body)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (review(rating="great"), "rating: Input should be 'good', 'neutral' or 'bad'"),
        (review(rating=None), "rating:"),
        (without(review(), "rating"), "rating: is required"),
        (review(dsr={"item": 5.0}), "dsr: item must be a JSON integer from 1 to 5"),
        (review(dsr={"item": True}), "dsr: item must be a JSON integer from 1 to 5"),
        (review(dsr={"service": None}), "dsr: service must be a JSON integer from 1 to 5"),
        (review(dsr={"logistics": 0}), "got 0"),
        (review(dsr={"logistics": 6}), "got 6"),
        (review(dsr={"item": "5"}), "got '5'"),
        (review(dsr=[5, 5, 5]), "dsr: must be an object"),
        (review(dsr=5), "dsr: must be an object"),
        (without(review(), "text"), "text: is required"),
        (review(text=None), "text:"),
        (review(text="好" * 2001), "text: must be at most 2000 code points, got 2001"),
        (review(posted_at="2026-11-14T20:00:00"), "posted_at: '2026-11-14T20:00:00' has no UTC"),
        (without(review(), "posted_at"), "posted_at: is required"),
        (review(order_id=""), "order_id:"),
        (review(buyer_id="x" * 129), "buyer_id:"),
    ],
)
def test_review_rejections_say_what_to_fix(body: dict[str, Any], says: str) -> None:
    result = rejected(body)
    assert result.reason == RejectReason.INVALID_FIELDS
    assert says in result.detail
    assert (result.shop_id, result.event_id) == ("shop-1", "r-1")


def test_review_clock_checks_read_posted_at() -> None:
    parsed = accepted(review(posted_at="2026-11-11T10:06:00+08:00"))  # NOW + 6 min
    late = check_event_time(parsed, now=NOW, retention_days=400)
    assert late is not None and late.reason == RejectReason.FUTURE_TIMESTAMP
