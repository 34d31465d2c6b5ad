"""Data model of the traffic simulator: shops, agents, items, options and emitted events.

Everything here is plain data; generation lives in :mod:`shared.simulator.generator`, I/O in
:mod:`shared.simulator.producer` and :mod:`shared.simulator.demo`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

_T = TypeVar("_T")

CHAT_TOPIC = "cs.chat.v1"
ORDER_TOPIC = "cs.order.v1"

#: Every timestamp the simulator writes carries this offset (Asia/Shanghai has no DST).
SHANGHAI = timezone(timedelta(hours=8))
OFFSET_SECONDS = 8 * 3600

#: Fixed default start so that tests are deterministic (Double 11 of 2026, local midnight).
DEFAULT_START = datetime(2026, 11, 11, 0, 0, 0, tzinfo=SHANGHAI)


class FastRandom(random.Random):
    """``random.Random`` with cheaper ``choice`` and ``randint`` (still deterministic in the
    seed; the values differ from the standard ones). Generation spends most time here."""

    def choice(self, seq: SupportsLenAndGetItem[_T]) -> _T:
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


Group = Literal["presale", "aftersale", "live"]
GROUPS: tuple[Group, ...] = ("presale", "aftersale", "live")

SENDERS = ("buyer", "agent", "bot", "system")
MSG_TYPES = ("text", "emoji", "image", "item_link", "order_card", "other")
ORDER_TYPES = ("order.created", "order.paid", "order.cancelled", "order.refunded")
REVIEW_TYPE = "review.posted"

#: Reasons carried by :attr:`SimEvent.invalid_reason`; each one must be rejected by ingest.
INVALID_REASONS = (
    "not_json",
    "missing_field",
    "bad_money",
    "timestamp_without_offset",
    "unknown_type",
    "unknown_shop",
    "bad_enum",
    "empty_text",
    "text_too_long",
    "oversize",
)


@dataclass(frozen=True, slots=True)
class Agent:
    agent_id: str
    name: str
    group: Group
    mentor_id: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    title: str
    price_cents: int


@dataclass(slots=True)
class Shop:
    shop_id: str
    name: str
    agents: list[Agent]
    buyers: list[str]
    items: list[Item]
    #: agents by group, filled by the scenario builder (never empty for "presale").
    by_group: dict[str, list[Agent]] = field(default_factory=dict)

    def group(self, name: Group) -> list[Agent]:
        """Agents of a group, falling back to pre-sales when the shop has none."""
        return self.by_group.get(name) or self.by_group["presale"]


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Options of one simulated stream. Same options (seed included) ⇒ byte-identical stream."""

    seed: int = 0
    shops: int = 1
    agents_per_shop: int = 6
    buyers_per_shop: int = 2000
    #: explicit shop ids (overrides ``shops``); default ``shop-000``, ``shop-001``, …
    shop_ids: tuple[str, ...] | None = None
    #: timeline start (aware datetime); default a fixed date so tests are deterministic
    start: datetime = DEFAULT_START
    #: if set, no event is emitted whose timestamp or emission time is after ``now``: the
    #: stream ends there
    now: datetime | None = None
    #: mean new buyer visits ("journeys") per shop per simulated hour
    arrivals_per_hour: float = 60.0
    #: busier evenings, quiet nights (Asia/Shanghai); off = flat arrival rate (live demo)
    diurnal: bool = True
    #: fraction of events emitted late: after later ones (minutes, hours or days)
    late_fraction: float = 0.0
    #: fraction of events re-sent as exact duplicates (same bytes) a little later
    duplicate_fraction: float = 0.0
    #: fraction of events followed by an invalid event (see ``INVALID_REASONS``)
    invalid_fraction: float = 0.0
    #: prefix of every event_id / message_id / order_id; default derived from the seed.
    #: Runs that feed the same registered shop must use different prefixes.
    id_prefix: str | None = None
    #: shop id used by ``unknown_shop`` invalid events
    unknown_shop_id: str = "no-such-shop"
    #: fraction of paid orders the buyer reviews (SPEC §11 review.posted); reviews draw
    #: from their own random stream, so the chat and order events stay as without them
    review_fraction: float = 0.35

    def resolved_shop_ids(self) -> tuple[str, ...]:
        if self.shop_ids:
            return tuple(self.shop_ids)
        return tuple(f"shop-{i:03d}" for i in range(self.shops))

    def resolved_id_prefix(self) -> str:
        return self.id_prefix if self.id_prefix is not None else f"s{self.seed:x}"

    def start_ms(self) -> int:
        if self.start.tzinfo is None:
            raise ValueError("SimConfig.start must be timezone-aware")
        return int(self.start.astimezone(UTC).timestamp() * 1000)

    def now_ms(self) -> int | None:
        if self.now is None:
            return None
        if self.now.tzinfo is None:
            raise ValueError("SimConfig.now must be timezone-aware")
        return int(self.now.astimezone(UTC).timestamp() * 1000)


class SimEvent(NamedTuple):
    """One Kafka message: ``key`` is the shop_id, ``value`` the orjson-encoded ``event``."""

    topic: str
    key: bytes
    value: bytes
    #: the event as a dict (for invalid events: the dict the bytes were made from, as near
    #: as possible; for ``not_json`` the valid event that was damaged)
    event: dict[str, Any]
    #: None for a valid event, else one of ``INVALID_REASONS``
    invalid_reason: str | None = None
    #: True for an exact re-send of an earlier message (same topic, key and bytes)
    duplicate: bool = False
    #: True if emitted after events with later timestamps (delayed on purpose)
    late: bool = False
    #: simulated emission time, ms since the epoch (≥ the event's own timestamp)
    at_ms: int = 0


class Sink(Protocol):
    """What chat and order builders write to (the generator implements it)."""

    def chat(
        self,
        shop: Shop,
        t: int,
        buyer_id: str,
        agent_id: str | None,
        sender: str,
        text: str,
        msg_type: str = "text",
    ) -> None: ...

    def order(
        self,
        shop: Shop,
        t: int,
        etype: str,
        order_id: str,
        buyer_id: str,
        amount_cents: int | None,
        items: list[tuple[Item, int]] | None = None,
    ) -> None: ...

    def new_order_id(self, shop: Shop) -> str: ...

    def paid(self, shop: Shop, t: int, order_id: str, buyer_id: str, agent: Agent | None) -> None:
        """An order was paid at ``t``, served by ``agent`` (None: silent); the buyer may
        review it later."""
