"""Reviews of orders (SPEC §11): the latest review per order, its service agent, and the
agents a good review names.

An order's review is its latest `review.posted` by posted_at, ties to the greater
event_id (code-point order); it replaces the earlier ones entirely. Only placed orders
take reviews into account; a review of an order never placed counts nowhere. The service
agent is the agent of the inquiry the order is attributed to (none for a silent order).
A good review names an agent when its case-folded text contains the agent's case-folded
nickname (the part of agent_id after the last ':') and the nickname has at least 2
characters as SPEC §6 counts them; each named agent once per review.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from .model import Rating, ReviewEvent
from .orders import Order
from .text import char_count

MIN_NICKNAME_CHARS = 2


@dataclass(slots=True, unsafe_hash=True)  # not frozen: see responses.Question
class OrderReview:
    """The review that counts for one placed order."""

    order_id: str
    event_id: str
    posted_at: datetime
    day: date  # local day of posted_at: every review number counts here
    rating: Rating
    text: str
    dsr_item: int | None
    dsr_service: int | None
    dsr_logistics: int | None
    placed_at: datetime
    service_agent: str | None  # the attributed inquiry's agent; None for a silent order
    inquiry_day: date | None
    mentions: tuple[str, ...]  # agents named (good reviews only), in code-point order
    # Local day aftersale_lookback before placement: the transcript link starts there.
    transcript_from: date | None = None
    # Event ids of the order's bad reviews before this one (review.bad.withdrawn).
    earlier_bad: tuple[str, ...] = ()

    @property
    def dsr(self) -> dict[str, int]:
        scores = [
            ("item", self.dsr_item),
            ("service", self.dsr_service),
            ("logistics", self.dsr_logistics),
        ]
        return {key: value for key, value in scores if value is not None}


def nickname(agent_id: str) -> str:
    """The part of the agent id after its last ':' (the whole id without one)."""
    return agent_id.rpartition(":")[2]


@lru_cache(maxsize=64)
def _nicknames(agents: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """(agent_id, case-folded nickname) of the agents whose nickname can name them."""
    found = []
    for agent in sorted(agents):
        nick = nickname(agent)
        if char_count(nick) >= MIN_NICKNAME_CHARS:
            found.append((agent, nick.casefold()))
    return tuple(found)


def named_agents(text: str, agents: Collection[str]) -> tuple[str, ...]:
    """The agents among `agents` whose nickname the text contains (case-folded)."""
    if not text:
        return ()
    folded = text.casefold()
    pool = agents if isinstance(agents, frozenset) else frozenset(agents)
    return tuple(agent for agent, nick in _nicknames(pool) if nick in folded)


def _earlier_bad(
    reviews: Iterable[ReviewEvent], latest: Mapping[str, ReviewEvent]
) -> dict[str, list[str]]:
    """order_id -> event ids of its bad reviews other than its review, in posting order."""
    found: dict[str, list[tuple[datetime, str]]] = {}
    for r in reviews:
        current = latest.get(r.order_id)
        if r.rating == "bad" and current is not None and r.event_id != current.event_id:
            found.setdefault(r.order_id, []).append((r.posted_at, r.event_id))
    return {oid: [e for _, e in sorted(set(pairs))] for oid, pairs in found.items()}


def latest_reviews(reviews: Iterable[ReviewEvent]) -> dict[str, ReviewEvent]:
    """order_id -> its review: the greatest (posted_at, event_id)."""
    latest: dict[str, ReviewEvent] = {}
    for r in reviews:
        known = latest.get(r.order_id)
        if known is None or (r.posted_at, r.event_id) > (known.posted_at, known.event_id):
            latest[r.order_id] = r
    return latest


def order_reviews(
    orders: Sequence[Order],
    reviews: Iterable[ReviewEvent],
    agents: Collection[str],
    days: Mapping[datetime, date],
    lookback: timedelta = timedelta(0),
) -> list[OrderReview]:
    """The review of every reviewed order among `orders` (placed orders, attribution
    already set), in order_id order. `lookback`: the shop's aftersale_lookback."""
    reviews = list(reviews)
    latest = latest_reviews(reviews)
    if not latest:
        return []
    earlier = _earlier_bad(reviews, latest)
    found = []
    for order in sorted(orders, key=_order_id):
        r = latest.get(order.order_id)
        if r is None:
            continue
        agent, inquiry_day = order.attributed or (None, None)
        named = named_agents(r.text, agents) if r.rating == "good" else ()
        found.append(
            OrderReview(
                order.order_id,
                r.event_id,
                r.posted_at,
                days[r.posted_at],
                r.rating,
                r.text,
                r.dsr_item,
                r.dsr_service,
                r.dsr_logistics,
                order.placed_at,
                agent,
                inquiry_day,
                named,
                days[order.placed_at - lookback],
                tuple(earlier.get(order.order_id, ())),
            )
        )
    return found


def _order_id(order: Order) -> str:
    return order.order_id
