"""Bulk loading of buyers' raw timelines (the source of truth) for re-derivation.

One query per table for all touched buyers of a batch: a buyer's chat messages, and every
event of every order any of its order events belongs to (an order's buyer is the buyer of
its placing event, which may differ from the buyer_id of its other events).

Every lookup joins the batch's keys to a table through `CROSS JOIN LATERAL (... OFFSET 0)`:
one index scan per key, whatever the table's size. With a plain join the planner may
hash the whole table (it did, for every batch: a sequential scan of chat_messages that
grows with the shop's history, while the batch needs a few thousand buyers' rows); the
OFFSET 0 keeps it from flattening the lateral subquery back into that join.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.scoring.core.model import ChatMessage, OrderEvent, ReviewEvent
from services.scoring.core.reviews import named_agents
from services.scoring.repository import BuyerKey, Pg

_CHAT_COLUMNS = (
    "c.shop_id, c.event_id, c.buyer_id, c.agent_id, c.sender, c.sent_at, c.msg_type, c.text"
)
_ORDER_COLUMNS = "o.shop_id, o.event_id, o.type, o.order_id, o.buyer_id, o.occurred_at, o.amount"
_REVIEW_COLUMNS = (
    "r.shop_id, r.event_id, r.order_id, r.buyer_id, r.posted_at, r.rating, r.text,"
    " r.dsr_item, r.dsr_service, r.dsr_logistics"
)


@dataclass(slots=True)
class Timeline:
    """One buyer's messages and the events of every order that touches it."""

    messages: list[ChatMessage] = field(default_factory=list)
    order_events: list[OrderEvent] = field(default_factory=list)
    # The review.posted events of every order of order_events (SPEC §11).
    reviews: list[ReviewEvent] = field(default_factory=list)
    # input_memo.digest of the events, kept while the timeline is cached; whoever appends
    # an event resets it.
    digest: bytes | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        return len(self.messages) + len(self.order_events) + len(self.reviews)


def _columns(keys: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    pairs = list(keys)
    return [p[0] for p in pairs], [p[1] for p in pairs]


async def buyers_of_orders(*, pg: Pg, orders: Iterable[tuple[str, str]]) -> set[BuyerKey]:
    """Every buyer carried by any event of these (shop_id, order_id): a new event of an
    order can move its placement, hence its buyer, so all of them are re-derived."""
    shops, ids = _columns(orders)
    if not shops:
        return set()
    cur = await pg.execute(
        """
        SELECT DISTINCT k.shop_id, o.buyer_id
        FROM unnest(%b::text[], %b::text[]) AS k(shop_id, order_id)
        CROSS JOIN LATERAL (
            SELECT o.buyer_id FROM order_events o
            WHERE o.shop_id = k.shop_id AND o.order_id = k.order_id OFFSET 0
        ) o
        """,
        (shops, ids),
    )
    return {(row[0], row[1]) for row in await cur.fetchall()}


# Shops per waking-buyers statement (one branch each).
_WAKING_SHOPS = 100
_WAKING_BRANCH = "SELECT shop_id, buyer_id FROM buyer_state WHERE shop_id = %s AND wake_at < %s"


def waking_statement(marks: list[tuple[str, datetime]]) -> tuple[str, list[object]]:
    """One branch per shop with its watermark as a plain parameter: the planner then sees
    the value and takes the (shop_id, wake_at) index for the few buyers below it. Joined
    to an unnest of the marks it cannot see them, guesses a third of buyer_state, and
    scans all of it every batch (30 ms at 111 000 buyers, growing with the shop)."""
    return " UNION ALL ".join([_WAKING_BRANCH] * len(marks)), [v for m in marks for v in m]


async def waking_buyers(*, pg: Pg, marks: dict[str, datetime]) -> set[BuyerKey]:
    """Buyers whose facts change once the watermark passes (strictly) their wake_at."""
    found: set[BuyerKey] = set()
    shops = list(marks.items())
    for i in range(0, len(shops), _WAKING_SHOPS):
        cur = await pg.execute(*waking_statement(shops[i : i + _WAKING_SHOPS]))
        found.update((row[0], row[1]) for row in await cur.fetchall())
    return found


async def shop_buyers(*, pg: Pg, shop_id: str) -> list[str]:
    """Every buyer with a raw event in the shop (for a rescore)."""
    cur = await pg.execute(
        """
        SELECT buyer_id FROM chat_messages WHERE shop_id = %(s)s
        UNION SELECT buyer_id FROM order_events WHERE shop_id = %(s)s
        UNION SELECT buyer_id FROM buyer_state WHERE shop_id = %(s)s
        """,
        {"s": shop_id},
    )
    return sorted(row[0] for row in await cur.fetchall())


async def load_timelines(*, pg: Pg, keys: Iterable[BuyerKey]) -> dict[BuyerKey, Timeline]:
    """Timelines of all the given buyers, in two queries."""
    timelines: dict[BuyerKey, Timeline] = {key: Timeline() for key in keys}
    shops, buyers = _columns(timelines)
    if not shops:
        return timelines
    cur = await pg.execute(
        f"""
        SELECT {_CHAT_COLUMNS}
        FROM unnest(%b::text[], %b::text[]) AS k(shop_id, buyer_id)
        CROSS JOIN LATERAL (
            SELECT * FROM chat_messages c
            WHERE c.shop_id = k.shop_id AND c.buyer_id = k.buyer_id OFFSET 0
        ) c
        """,
        (shops, buyers),
    )
    for row in await cur.fetchall():
        timelines[(row[0], row[2])].messages.append(ChatMessage(*row))
    await _load_orders(pg, timelines, shops, buyers)
    await _load_reviews(pg, timelines)
    return timelines


async def _load_orders(
    pg: Pg, timelines: dict[BuyerKey, Timeline], shops: list[str], buyers: list[str]
) -> None:
    """All events of the orders each buyer has an event of, given to that buyer."""
    cur = await pg.execute(
        f"""
        WITH touched AS (
            SELECT DISTINCT k.shop_id, k.buyer_id, o.order_id
            FROM unnest(%b::text[], %b::text[]) AS k(shop_id, buyer_id)
            CROSS JOIN LATERAL (
                SELECT o.order_id FROM order_events o
                WHERE o.shop_id = k.shop_id AND o.buyer_id = k.buyer_id OFFSET 0
            ) o
        )
        SELECT t.buyer_id, {_ORDER_COLUMNS}
        FROM touched t
        CROSS JOIN LATERAL (
            SELECT * FROM order_events o
            WHERE o.shop_id = t.shop_id AND o.order_id = t.order_id OFFSET 0
        ) o
        """,
        (shops, buyers),
    )
    for row in await cur.fetchall():
        timelines[(row[1], row[0])].order_events.append(OrderEvent(*row[1:]))


async def _load_reviews(pg: Pg, timelines: dict[BuyerKey, Timeline]) -> None:
    """The reviews of every order each timeline holds an event of, given to it."""
    wanted = {(key[0], key[1], e.order_id) for key, t in timelines.items() for e in t.order_events}
    if not wanted:
        return
    triples = sorted(wanted)
    cur = await pg.execute(
        f"""
        SELECT k.buyer_id, {_REVIEW_COLUMNS}
        FROM unnest(%b::text[], %b::text[], %b::text[]) AS k(shop_id, buyer_id, order_id)
        CROSS JOIN LATERAL (
            SELECT * FROM review_events r
            WHERE r.shop_id = k.shop_id AND r.order_id = k.order_id OFFSET 0
        ) r
        """,
        ([t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples]),
    )
    for row in await cur.fetchall():
        timelines[(row[1], row[0])].reviews.append(ReviewEvent(*row[1:]))


async def orders_naming(*, pg: Pg, shop_id: str, agents: frozenset[str]) -> set[tuple[str, str]]:
    """(shop_id, order_id) of the shop's good reviews that name one of `agents`: their
    orders' buyers are re-derived when those agents first appear (SPEC §11 mentions)."""
    cur = await pg.execute(
        "SELECT order_id, text FROM review_events WHERE shop_id = %s AND rating = 'good'",
        (shop_id,),
    )
    return {(shop_id, row[0]) for row in await cur.fetchall() if named_agents(row[1], agents)}


async def _rows_by_id(
    pg: Pg, columns: str, table: str, keys: Iterable[tuple[str, str]]
) -> list[tuple[Any, ...]]:
    shops, ids = _columns(keys)
    if not shops:
        return []
    alias = columns[0]  # "c" or "o", as the column list names it
    cur = await pg.execute(
        f"""
        SELECT {columns}
        FROM unnest(%b::text[], %b::text[]) AS k(shop_id, event_id)
        JOIN {table} {alias} ON {alias}.shop_id = k.shop_id AND {alias}.event_id = k.event_id
        """,
        (shops, ids),
    )
    return await cur.fetchall()


async def load_events(
    *, pg: Pg, chat: Iterable[tuple[str, str]], order: Iterable[tuple[str, str]]
) -> tuple[list[ChatMessage], list[OrderEvent]]:
    """Stored events by (shop_id, event_id), built exactly as in load_timelines."""
    messages = [
        ChatMessage(*r) for r in await _rows_by_id(pg, _CHAT_COLUMNS, "chat_messages", chat)
    ]
    orders = [OrderEvent(*r) for r in await _rows_by_id(pg, _ORDER_COLUMNS, "order_events", order)]
    return messages, orders
