"""read_touches: what a batch of cs.events.v1 records names, shop by shop, and that a
record it cannot read is skipped without stopping the others."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from services.scoring.timeline_cache import Arrival
from services.scoring.touches import read_touches

TP = TopicPartition("cs.events.v1", 3)


def _chat(event_id: str, shop: str, buyer: str, agent: str | None, at: str) -> dict[str, Any]:
    return {
        "type": "chat.message",
        "event_id": event_id,
        "shop_id": shop,
        "buyer_id": buyer,
        "agent_id": agent,
        "sender": "buyer",
        "sent_at": at,
        "msg_type": "text",
        "text": "在吗",
    }


def _order(event_id: str, shop: str, buyer: str, order_id: str, at: str) -> dict[str, Any]:
    return {
        "type": "order.paid",
        "event_id": event_id,
        "shop_id": shop,
        "buyer_id": buyer,
        "order_id": order_id,
        "occurred_at": at,
        "amount": "59.9",
    }


def _records(values: list[bytes | None]) -> dict[TopicPartition, list[ConsumerRecord]]:  # type: ignore[type-arg]
    return {
        TP: [
            ConsumerRecord(TP.topic, TP.partition, i, 0, 0, b"k", v, None, 0, 0, [])
            for i, v in enumerate(values)
        ]
    }


def test_records_are_grouped_by_shop_with_buyers_orders_agents_and_the_latest_time() -> None:
    bodies = [
        _chat("m1", "s1", "b1", "a1", "2026-11-11T10:00:00+08:00"),
        _chat("m2", "s1", "b2", None, "2026-11-11T03:00:05+00:00"),  # latest of s1 (UTC)
        _order("o1p", "s1", "b1", "o1", "2026-11-11T10:00:01+08:00"),
        _chat("m3", "s2", "b9", "a7", "2026-11-12T00:00:00+08:00"),
    ]
    touches = read_touches(_records([orjson.dumps(b) for b in bodies]))
    s1, s2 = touches["s1"], touches["s2"]
    assert (s1.events, s1.buyers, s1.orders, s1.agents) == (3, {"b1", "b2"}, {"o1"}, {"a1"})
    assert s1.max_event_at == datetime(2026, 11, 11, 3, 0, 5, tzinfo=UTC)
    assert s1.arrivals == [
        Arrival("s1", "m1", "b1", None),
        Arrival("s1", "m2", "b2", None),
        Arrival("s1", "o1p", "b1", "o1"),
    ]
    assert all(type(a) is Arrival for a in s1.arrivals)
    assert (s2.events, s2.buyers, s2.orders, s2.agents) == (1, {"b9"}, set(), {"a7"})


def test_unreadable_records_are_skipped_and_the_rest_still_counted() -> None:
    good = orjson.dumps(_chat("m1", "s1", "b1", "a1", "2026-11-11T10:00:00+08:00"))
    no_offset = orjson.dumps(_chat("m2", "s1", "b1", "a1", "2026-11-11T10:00:00"))
    numeric_shop = orjson.dumps(
        {**_chat("m3", "s1", "b1", "a1", "2026-11-11T10:00:00Z"), "shop_id": 7}
    )
    numeric_agent = orjson.dumps(
        {**_chat("m4", "s1", "b1", "a1", "2026-11-11T10:00:00Z"), "agent_id": 7}
    )
    records = [b"not json", None, no_offset, numeric_shop, numeric_agent, good]
    touches = read_touches(_records(records))
    assert list(touches) == ["s1"]
    assert touches["s1"].events == 1
    assert touches["s1"].agents == {"a1"}
    assert touches["s1"].arrivals == [Arrival("s1", "m1", "b1", None)]


def test_a_body_the_quick_reader_declines_goes_through_the_contract_parser() -> None:
    # Lower-case t and z: valid RFC 3339, which datetime.fromisoformat refuses.
    body = _chat("m1", "s1", "b1", "a1", "2026-11-11t02:00:00.5z")
    touches = read_touches(_records([orjson.dumps(body)]))
    assert touches["s1"].arrivals == [Arrival("s1", "m1", "b1", None)]
    assert touches["s1"].agents == {"a1"}
    assert touches["s1"].max_event_at == datetime(2026, 11, 11, 2, 0, 0, 500000, tzinfo=UTC)


def test_a_review_touches_its_order_not_its_buyer_and_moves_the_watermark() -> None:
    """SPEC §11: a review belongs to its order (its buyers are re-derived, not the buyer
    the review names) and takes part in the watermark like every valid event."""
    review = {
        "type": "review.posted",
        "event_id": "r1",
        "shop_id": "s1",
        "order_id": "o9",
        "buyer_id": "somebody",
        "posted_at": "2026-11-15T09:00:00+08:00",
        "rating": "bad",
        "text": "差",
        "dsr": None,
    }
    chat = _chat("m1", "s1", "b1", "a1", "2026-11-11T10:00:00+08:00")
    touched = read_touches(_records([orjson.dumps(chat), orjson.dumps(review)]))["s1"]
    assert touched.buyers == {"b1"}
    assert (touched.orders, touched.reviewed) == ({"o9"}, {"o9"})
    assert touched.max_event_at == datetime(2026, 11, 15, 1, 0, tzinfo=UTC)
    assert touched.events == 2
    assert Arrival("s1", "r1", "somebody", "o9") in touched.arrivals
