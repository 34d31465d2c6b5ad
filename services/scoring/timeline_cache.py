"""A worker's cache of buyers' raw timelines, so a batch loads only what is new.

The raw tables stay the source of truth: every event in the cache was read from them,
never parsed from a record. What makes a cached timeline safe to reuse is the order in
which ingest works: it commits an event to the raw tables *before* it forwards it to
cs.events.v1. So an event of a buyer that was not yet stored when the buyer's timeline
was read will still arrive as a record, later, on the same partition (events are keyed by
shop), and this worker owns every partition of the shop until a rebalance, when the
cache is cleared. Each such arriving record is read from the raw tables by primary key
and appended to every cached timeline it belongs to:

- a chat message to its buyer's timeline;
- an order event to every timeline that already holds an event of that order (a buyer's
  timeline holds all events of every order it has an event of);
- an order event whose buyer's cached timeline holds nothing of that order yet evicts
  that timeline instead: the order's earlier events (carried by other buyers) must join
  it, and a fresh read gets them all.

Between a read and the arrival of later records, a cached timeline may lack events that
are already stored; the database read would hold them. Both are subsets of the same
append-only event set and meet when the records arrive, which is all the stream promises
anyway: results equal the batch recomputation once every stored event has been consumed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from services.scoring.core.model import ChatMessage, OrderEvent
from services.scoring.repository import BuyerKey
from services.scoring.timeline_loader import Timeline

CAPACITY = 100_000  # buyers
# Events held in all cached timelines together: what bounds the cache's memory (~1 KB an
# event with its objects, text and id sets), whatever the buyers' history lengths. At
# 120 000 a scoring process stays under 500 MB through a 1 000 000-event backlog
# (docs/throughput.md "Memory").
EVENT_CAPACITY = 120_000
_EVENT_ID = attrgetter("event_id")
_ORDER_ID = attrgetter("order_id")

OrderKey = tuple[str, str]  # (shop_id, order_id)


class Arrival(NamedTuple):
    """What a cs.events.v1 record names: enough to tell which timelines it joins (one per
    record: a tuple is the cheapest immutable value to build)."""

    shop_id: str
    event_id: str
    buyer_id: str
    order_id: str | None  # None for a chat message


@dataclass(slots=True)
class _Entry:
    timeline: Timeline
    ids: set[str]
    orders: set[str]


class TimelineCache:
    """A bounded LRU of buyers' timelines, with an index of which hold which order."""

    def __init__(self, capacity: int = CAPACITY, event_capacity: int = EVENT_CAPACITY) -> None:
        self.capacity = capacity
        self.event_capacity = event_capacity
        self._entries: OrderedDict[BuyerKey, _Entry] = OrderedDict()
        self._holders: dict[OrderKey, set[BuyerKey]] = {}
        self._events = 0  # ids held by all entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def events(self) -> int:
        return self._events

    def __contains__(self, key: BuyerKey) -> bool:
        return key in self._entries

    def get(self, key: BuyerKey) -> Timeline | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry.timeline

    def put(self, key: BuyerKey, timeline: Timeline) -> None:
        self.evict(key)
        orders = set(map(_ORDER_ID, timeline.order_events))
        ids = set(map(_EVENT_ID, timeline.messages))
        ids.update(map(_EVENT_ID, timeline.order_events))
        self._entries[key] = _Entry(timeline, ids, orders)
        self._events += len(ids)
        for order_id in orders:
            self._holders.setdefault((key[0], order_id), set()).add(key)

    def evict(self, key: BuyerKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._events -= len(entry.ids)
        for order_id in entry.orders:
            holders = self._holders.get((key[0], order_id))
            if holders is not None:
                holders.discard(key)
                if not holders:
                    del self._holders[(key[0], order_id)]

    def evict_order(self, shop_id: str, order_id: str) -> None:
        """Drop every timeline holding the order: a review of it arrived (reviews are not
        appended; a fresh read brings them, SPEC §11)."""
        for key in list(self._holders.get((shop_id, order_id), ())):
            self.evict(key)

    def trim(self) -> None:
        """Drop the least recently used timelines beyond either capacity."""
        while len(self._entries) > self.capacity or self._events > self.event_capacity:
            self.evict(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._holders.clear()
        self._events = 0

    def missing(self, arrivals: Iterable[Arrival]) -> list[Arrival]:
        """The arrivals some cached timeline must still take in (evicting, on the way,
        the timelines an arrival would bring a whole new order to). Runs once per record:
        the tuples are unpacked, not read by attribute."""
        wanted: list[Arrival] = []
        entries, holders_of = self._entries, self._holders
        for a in arrivals:
            shop, event_id, buyer, order_id = a
            own = entries.get((shop, buyer))
            if order_id is None:
                if own is not None and event_id not in own.ids:
                    wanted.append(a)
                continue
            if own is not None and order_id not in own.orders:
                self.evict((shop, buyer))
            holders = holders_of.get((shop, order_id), ())
            if any(event_id not in entries[k].ids for k in holders):
                wanted.append(a)
        return wanted

    def add_message(self, message: ChatMessage) -> None:
        """A stored chat message joins its buyer's cached timeline, if any."""
        entry = self._entries.get((message.shop_id, message.buyer_id))
        if entry is not None and message.event_id not in entry.ids:
            entry.ids.add(message.event_id)
            self._events += 1
            entry.timeline.messages.append(message)
            entry.timeline.digest = None

    def add_order_event(self, event: OrderEvent) -> None:
        """A stored order event joins every cached timeline holding its order; its own
        buyer's timeline, if it does not hold the order yet, is dropped (see module)."""
        own = (event.shop_id, event.buyer_id)
        own_entry = self._entries.get(own)
        if own_entry is not None and event.order_id not in own_entry.orders:
            self.evict(own)
        for key in self._holders.get((event.shop_id, event.order_id), ()):
            entry = self._entries[key]
            if event.event_id not in entry.ids:
                entry.ids.add(event.event_id)
                self._events += 1
                entry.timeline.order_events.append(event)
                entry.timeline.digest = None
