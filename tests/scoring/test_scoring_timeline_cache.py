"""The worker's TimelineCache: which records a cached timeline still needs, and what an
order event brings to whom (the database side is test_timeline_cache.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from services.scoring.core.model import ChatMessage, OrderEvent
from services.scoring.input_memo import digest
from services.scoring.timeline_cache import Arrival, TimelineCache
from services.scoring.timeline_loader import Timeline

T = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def _msg(event_id: str, buyer: str) -> ChatMessage:
    return ChatMessage("s", event_id, buyer, "a1", "buyer", T, "text", "在吗")


def _order(event_id: str, order_id: str, buyer: str) -> OrderEvent:
    return OrderEvent("s", event_id, "order.paid", order_id, buyer, T, Decimal("9.90"))


def test_a_known_message_is_not_wanted_a_new_one_is_appended_once() -> None:
    cache = TimelineCache()
    cache.put(("s", "b1"), Timeline([_msg("m1", "b1")], []))
    assert cache.missing([Arrival("s", "m1", "b1", None)]) == []
    new = Arrival("s", "m2", "b1", None)
    assert cache.missing([new]) == [new]
    cache.add_message(_msg("m2", "b1"))
    cache.add_message(_msg("m2", "b1"))  # re-delivered
    timeline = cache.get(("s", "b1"))
    assert timeline is not None
    assert [m.event_id for m in timeline.messages] == ["m1", "m2"]
    assert cache.missing([Arrival("s", "m9", "b-uncached", None)]) == []


def test_an_order_event_joins_every_holder_and_evicts_a_buyer_new_to_the_order() -> None:
    cache = TimelineCache()
    cache.put(("s", "placer"), Timeline([], [_order("o1-created", "o1", "placer")]))
    cache.put(("s", "payer"), Timeline([_msg("m1", "payer")], []))
    paid = Arrival("s", "o1-paid", "payer", "o1")
    assert cache.missing([paid]) == [paid]
    assert ("s", "payer") not in cache  # must be read again: o1's earlier events join it
    cache.add_order_event(_order("o1-paid", "o1", "payer"))
    placer = cache.get(("s", "placer"))
    assert placer is not None
    assert [e.event_id for e in placer.order_events] == ["o1-created", "o1-paid"]


def test_trim_keeps_the_most_recently_used_and_forgets_their_orders() -> None:
    cache = TimelineCache(capacity=2)
    for buyer in ("b1", "b2", "b3"):
        cache.put(("s", buyer), Timeline([], [_order(f"{buyer}-e", f"{buyer}-o", buyer)]))
    cache.get(("s", "b1"))
    cache.trim()
    assert ("s", "b1") in cache and ("s", "b3") in cache and ("s", "b2") not in cache
    # b2's order has no holder left: its events are no longer wanted.
    assert cache.missing([Arrival("s", "x", "other", "b2-o")]) == []
    cache.clear()
    assert len(cache) == 0


def test_trim_holds_the_events_of_all_timelines_under_the_event_capacity() -> None:
    cache = TimelineCache(event_capacity=5)
    cache.put(("s", "b1"), Timeline([_msg(f"b1-m{i}", "b1") for i in range(3)], []))
    cache.put(("s", "b2"), Timeline([_msg("b2-m0", "b2")], []))
    cache.add_message(_msg("b2-m1", "b2"))
    assert cache.events == 5
    cache.trim()
    assert len(cache) == 2  # at the capacity: nothing to drop
    cache.put(("s", "b3"), Timeline([_msg("b3-m0", "b3")], []))
    cache.get(("s", "b1"))  # b1 used again: b2 is now the least recently used
    cache.trim()
    assert ("s", "b2") not in cache and ("s", "b1") in cache and ("s", "b3") in cache
    assert cache.events == 4
    cache.put(("s", "b1"), Timeline([_msg("b1-m9", "b1")], []))  # replaced: 3 events out
    assert cache.events == 2
    cache.clear()
    assert cache.events == 0


def test_an_appended_event_changes_the_cached_timelines_digest() -> None:
    cache = TimelineCache()
    cache.put(("s", "b1"), Timeline([_msg("m1", "b1")], [_order("o1-e", "o1", "b1")]))
    timeline = cache.get(("s", "b1"))
    assert timeline is not None
    before = digest(timeline)
    cache.add_message(_msg("m2", "b1"))
    after_message = digest(timeline)
    cache.add_order_event(_order("o1-paid", "o1", "b2"))
    after_order = digest(timeline)
    assert len({before, after_message, after_order}) == 3
    assert after_order == digest(Timeline(list(timeline.messages), list(timeline.order_events)))
