"""The simulation engine: buyer arrivals over time, a time-ordered heap of pending events,
late events, exact duplicates and invalid events, encoded lazily with orjson.

``generate(config)`` is a plain iterator of :class:`SimEvent`; it does no I/O.
"""

from __future__ import annotations

import heapq
import time
import zlib
from collections.abc import Iterator
from typing import Any

import orjson

from shared.simulator.model import (
    CHAT_TOPIC,
    OFFSET_SECONDS,
    ORDER_TOPIC,
    REVIEW_TYPE,
    Agent,
    FastRandom,
    Item,
    Shop,
    SimConfig,
    SimEvent,
)
from shared.simulator.orders import DAY, HOUR, MINUTE, journey
from shared.simulator.scenario import build_shops

#: relative arrival intensity per local hour (Asia/Shanghai): quiet nights, busy evenings
DIURNAL = (
    0.35,
    0.2,
    0.1,
    0.08,
    0.06,
    0.08,
    0.2,
    0.4,
    0.7,
    0.9,
    1.0,
    1.0,
    0.9,
    0.9,
    1.0,
    1.0,
    0.95,
    0.9,
    1.0,
    1.2,
    1.4,
    1.5,
    1.3,
    0.8,
)
#: arrivals per millisecond above which arrival gaps are drawn finer than a millisecond
DENSE = 0.2
#: mean number of events one arrival produces (measured; used to turn a rate into arrivals)
EVENTS_PER_ARRIVAL = 8.7

_CHAT_REASONS = (
    "not_json",
    "missing_field",
    "timestamp_without_offset",
    "unknown_type",
    "unknown_shop",
    "bad_enum",
    "empty_text",
    "text_too_long",
    "oversize",
)
_ORDER_REASONS = (
    "not_json",
    "missing_field",
    "bad_money",
    "timestamp_without_offset",
    "unknown_type",
    "unknown_shop",
)
_REQUIRED = {
    "chat.message": (
        "event_id",
        "type",
        "shop_id",
        "buyer_id",
        "agent_id",
        "sender",
        "sent_at",
        "text",
    ),
    "order.created": ("event_id", "shop_id", "order_id", "buyer_id", "occurred_at", "amount"),
    "order.paid": ("event_id", "shop_id", "order_id", "buyer_id", "occurred_at", "amount"),
    "order.cancelled": ("event_id", "shop_id", "order_id", "buyer_id", "occurred_at"),
    "order.refunded": ("event_id", "shop_id", "order_id", "buyer_id", "occurred_at", "amount"),
}
#: review texts (SPEC §11): {nick} is the serving agent's nickname, {other} another agent's
_GOOD_TEXTS = (
    "{nick}服务超好，耐心解答👍",
    "谢谢{nick}！推荐的尺码很合适",
    "客服{nick}和{other}都很专业",
    "质量不错，物流也快",
    "好评",
    "",
)
_BAD_TEXTS = ("质量太差了", "客服回复太慢", "发错货了", "和描述不符", "")
_NEUTRAL_TEXTS = ("一般般吧", "还行", "")
_BAD_MONEY: tuple[Any, ...] = ("1e3", "-5", "19.999", "", "¥199", 199, 59.9, "1,299", "+10", " 10")


def money(cents: int, style: float) -> str:
    """A money string in one of the accepted spellings ("199", "199.00", "59.9", "59.90")."""
    yuan, fen = divmod(cents, 100)
    if fen == 0:
        return f"{yuan}.00" if style < 0.2 else str(yuan)
    if fen % 10 == 0 and style < 0.5:
        return f"{yuan}.{fen // 10}"
    return f"{yuan}.{fen:02d}"


def arrivals_per_hour_for_rate(events_per_second: float, shops: int = 1) -> float:
    """Arrivals per shop per hour that produce about ``events_per_second`` in all."""
    return events_per_second * 3600.0 / EVENTS_PER_ARRIVAL / max(1, shops)


class _Engine:
    """Implements :class:`~shared.simulator.model.Sink` and iterates the stream."""

    def __init__(self, config: SimConfig) -> None:
        for name in ("late_fraction", "duplicate_fraction", "invalid_fraction", "review_fraction"):
            value = getattr(config, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if config.arrivals_per_hour <= 0:
            raise ValueError("arrivals_per_hour must be positive")
        self.config = config
        self.rng = rng = FastRandom(config.seed)
        self.rnd = rng.random
        self.shops: list[Shop] = build_shops(config, rng)
        self.keys = {s.shop_id: s.shop_id.encode() for s in self.shops}
        prefix = config.resolved_id_prefix()
        self.prefix = prefix
        self.order_base = 2 * 10**18 + (zlib.crc32(prefix.encode()) % 10**9) * 10**9
        self.n = 0  # event counter (event ids are unique across all shops)
        self.arrivals = 0
        self.orders = 0
        self.seq = 0
        self.heap: list[tuple[int, int, Any]] = []
        self.ts_cache: dict[int, str] = {}
        self.late = config.late_fraction
        self.dup = config.duplicate_fraction
        self.bad = config.invalid_fraction
        self.start = config.start_ms()
        self.limit = config.now_ms()
        self.wmax = max(DIURNAL) if config.diurnal else 0.0
        self.arrivals_per_hour = config.arrivals_per_hour
        self.lam_max = 0.0
        self.dense = False
        self.frac_ms = 0.0
        self.retune(config.arrivals_per_hour)
        self.next_arrival = self._after(self.start)
        # Reviews draw from their own stream (and are never late, duplicated or spoiled),
        # so the chat and order events are the same with or without them.
        self.review_rng = FastRandom(config.seed ^ 0x5EED_2E71)
        self.reviews = 0

    def retune(self, arrivals_per_hour: float) -> None:
        """Arrivals per shop per hour from the next arrival on (a live stream held at a rate
        of events: see ``shared.simulator.pacing``)."""
        if arrivals_per_hour <= 0:
            raise ValueError("arrivals_per_hour must be positive")
        self.arrivals_per_hour = arrivals_per_hour
        lam = len(self.shops) * arrivals_per_hour / 3_600_000.0  # arrivals per ms
        self.lam_max = lam * self.wmax / (sum(DIURNAL) / len(DIURNAL)) if self.wmax else lam
        # Gaps are whole milliseconds of at least one, which caps arrivals near 800 a second
        # and lengthens every gap by half a millisecond on average; above DENSE arrivals per
        # ms (where that is more than 10 %) gaps are drawn in fractions of a millisecond.
        self.dense = self.lam_max > DENSE

    # -- time
    def _after(self, t: int) -> int:
        """Next arrival time after ``t`` (Poisson, thinned by the diurnal profile)."""
        rng = self.rng
        while True:
            if self.dense:
                self.frac_ms += rng.expovariate(self.lam_max)
                whole = int(self.frac_ms)
                self.frac_ms -= whole
                t += whole
            else:
                t += int(rng.expovariate(self.lam_max)) + 1
            if not self.wmax:
                return t
            hour = (t // 3_600_000 + 8) % 24
            if rng.random() * self.wmax < DIURNAL[hour]:
                return t

    def ts(self, t: int) -> str:
        """RFC 3339 with milliseconds and +08:00."""
        s, ms = divmod(t, 1000)
        m, sec = divmod(s, 60)
        prefix = self.ts_cache.get(m)
        if prefix is None:
            if len(self.ts_cache) > 200_000:
                self.ts_cache.clear()
            prefix = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(m * 60 + OFFSET_SECONDS))
            self.ts_cache[m] = prefix
        return f"{prefix}{sec:02d}.{ms:03d}+08:00"

    # -- Sink
    def _push(self, t: int, topic: str, key: bytes, ev: dict[str, Any]) -> None:
        late = False
        if self.late and self.rnd() < self.late:
            r = self.rnd()
            rng = self.rng
            if r < 0.6:
                t += rng.randint(1 * MINUTE, 30 * MINUTE)
            elif r < 0.9:
                t += rng.randint(1 * HOUR, 12 * HOUR)
            else:
                t += rng.randint(1 * DAY, 3 * DAY)
            late = True
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, (topic, key, ev, late)))

    def chat(
        self,
        shop: Shop,
        t: int,
        buyer_id: str,
        agent_id: str | None,
        sender: str,
        text: str,
        msg_type: str = "text",
    ) -> None:
        self.n = n = self.n + 1
        ev: dict[str, Any] = {
            "event_id": f"{self.prefix}-c{n}",
            "type": "chat.message",
            "shop_id": shop.shop_id,
            "buyer_id": buyer_id,
            "agent_id": agent_id,
            "sender": sender,
            "sent_at": self.ts(t),
            "msg_type": msg_type,
            "text": text,
        }
        if n % 10 < 7:
            ev["message_id"] = f"{self.order_base + n}"
        self._push(t, CHAT_TOPIC, self.keys[shop.shop_id], ev)

    def order(
        self,
        shop: Shop,
        t: int,
        etype: str,
        order_id: str,
        buyer_id: str,
        amount_cents: int | None,
        items: list[tuple[Item, int]] | None = None,
    ) -> None:
        self.n = n = self.n + 1
        ev: dict[str, Any] = {
            "event_id": f"{self.prefix}-o{n}",
            "type": etype,
            "shop_id": shop.shop_id,
            "order_id": order_id,
            "buyer_id": buyer_id,
            "occurred_at": self.ts(t),
        }
        if amount_cents is not None:
            ev["amount"] = money(amount_cents, self.rnd())
        if items:
            ev["items"] = [
                {"item_id": it.item_id, "quantity": q, "price": money(it.price_cents, 0.9)}
                for it, q in items
            ]
        self._push(t, ORDER_TOPIC, self.keys[shop.shop_id], ev)

    def paid(self, shop: Shop, t: int, order_id: str, buyer_id: str, agent: Agent | None) -> None:
        """Maybe a review of the paid order days later (SPEC §11): good ones often name the
        serving agent by nickname (Latin ones in any case), some are changed (改评) a day or
        two later, DSR scores are often partial."""
        rng = self.review_rng
        if rng.random() >= self.config.review_fraction:
            return
        at = t + rng.randint(2 * HOUR, 5 * DAY)
        rating = rng.choices(("good", "neutral", "bad"), (80, 8, 12))[0]
        self._review(shop, at, order_id, buyer_id, rating, agent)
        if rating != "good" and rng.random() < 0.3:  # 改评: made good after a call
            self._review(
                shop, at + rng.randint(1 * HOUR, 2 * DAY), order_id, buyer_id, "good", agent
            )

    def _review(
        self, shop: Shop, t: int, order_id: str, buyer_id: str, rating: str, agent: Agent | None
    ) -> None:
        rng = self.review_rng
        served = agent or rng.choice(shop.agents)
        other = rng.choice(shop.agents)
        texts = {"good": _GOOD_TEXTS, "bad": _BAD_TEXTS}.get(rating, _NEUTRAL_TEXTS)
        nick = served.name
        if nick.isascii() and rng.random() < 0.3:
            nick = nick.upper() if rng.random() < 0.5 else nick.lower()
        text = rng.choice(texts).format(nick=nick, other=other.name)
        self.reviews += 1
        ev: dict[str, Any] = {
            "event_id": f"{self.prefix}-r{self.reviews}",
            "type": REVIEW_TYPE,
            "shop_id": shop.shop_id,
            "order_id": order_id,
            "buyer_id": buyer_id,
            "posted_at": self.ts(t),
            "rating": rating,
            "text": text,
        }
        r = rng.random()
        if r < 0.05:
            ev["dsr"] = None
        elif r < 0.85:
            low, high = (4, 5) if rating == "good" else (1, 3)
            keys = [k for k in ("item", "service", "logistics") if rng.random() < 0.75]
            ev["dsr"] = {k: rng.randint(low, high) for k in keys}
        self.seq += 1
        se = SimEvent(
            ORDER_TOPIC, self.keys[shop.shop_id], orjson.dumps(ev), ev, None, False, False, t
        )
        heapq.heappush(self.heap, (t, self.seq, se))

    def new_order_id(self, shop: Shop) -> str:
        self.orders += 1
        return str(self.order_base + self.orders)

    # -- invalid events
    def _invalid(self, se: SimEvent, at: int) -> SimEvent:
        rng = self.rng
        ev = se.event
        etype = ev["type"]
        reason = rng.choice(_CHAT_REASONS if etype == "chat.message" else _ORDER_REASONS)
        if reason == "bad_money" and "amount" not in ev:
            reason = "missing_field"
        self.n += 1
        bad = dict(ev)
        bad["event_id"] = f"{self.prefix}-x{self.n}"
        key = se.key
        ts_field = "sent_at" if etype == "chat.message" else "occurred_at"
        if reason == "missing_field":
            del bad[rng.choice(_REQUIRED[etype])]
        elif reason == "bad_money":
            bad["amount"] = rng.choice(_BAD_MONEY)
        elif reason == "timestamp_without_offset":
            naive = bad[ts_field][:-6]
            bad[ts_field] = naive if rng.random() < 0.7 else naive.replace("T", " ")
        elif reason == "unknown_type":
            bad["type"] = rng.choice(("chat.recalled", "order.shipped", "order", "Chat.Message"))
        elif reason == "unknown_shop":
            bad["shop_id"] = self.config.unknown_shop_id
            key = self.config.unknown_shop_id.encode()
        elif reason == "bad_enum":
            if rng.random() < 0.5:
                bad["sender"] = rng.choice(("customer", "Agent", "staff"))
            else:
                bad["msg_type"] = rng.choice(("video", "sticker", "TEXT"))
        elif reason == "empty_text":
            bad["msg_type"] = "text"
            bad["text"] = ""
        elif reason == "text_too_long":
            bad["text"] = "好" * rng.randint(10_001, 12_000)
        elif reason == "oversize":
            bad["padding"] = "y" * rng.randint(66_000, 80_000)
        value = orjson.dumps(bad)
        if reason == "not_json":
            cut = rng.randint(1, max(1, len(value) - 1))
            value = value[:cut] if rng.random() < 0.7 else b"\xff\xfe" + value[2:]
        return SimEvent(se.topic, key, value, bad, reason, False, False, at)

    # -- iteration
    def __iter__(self) -> Iterator[SimEvent]:
        heap = self.heap
        heappop = heapq.heappop
        heappush = heapq.heappush
        dumps = orjson.dumps
        rnd = self.rnd
        rng = self.rng
        shops = self.shops
        one_shop = shops[0] if len(shops) == 1 else None
        limit = self.limit if self.limit is not None else 1 << 62
        dup, bad = self.dup, self.bad
        while True:
            na = self.next_arrival
            if na <= limit and (not heap or na <= heap[0][0]):
                journey(self, rng, one_shop or rng.choice(shops), na)
                self.arrivals += 1
                self.next_arrival = self._after(na)
                continue
            if not heap:
                return
            at, _, obj = heappop(heap)
            if at > limit:
                return
            if type(obj) is SimEvent:
                yield obj
                continue
            topic, key, ev, late = obj
            se = SimEvent(topic, key, dumps(ev), ev, None, False, late, at)
            yield se
            if dup and rnd() < dup:
                t = at + rng.randint(0, 2 * MINUTE)
                self.seq += 1
                heappush(
                    heap, (t, self.seq, SimEvent(topic, key, se.value, ev, None, True, False, t))
                )
            if bad and rnd() < bad:
                t = at + rng.randint(0, MINUTE)
                self.seq += 1
                heappush(heap, (t, self.seq, self._invalid(se, t)))


def generate(config: SimConfig | None = None, count: int | None = None) -> Iterator[SimEvent]:
    """Lazily generate the stream of ``config``; at most ``count`` events (None: no limit,
    or until ``config.now``). Same config ⇒ byte-identical stream.
    """
    engine = _Engine(config or SimConfig())  # built here so that bad options fail at the call
    it = iter(engine)
    if count is None:
        return it
    return _take(it, count)


class Stream:
    """``generate(config)`` whose arrival rate can be changed while it runs (``retune``)."""

    def __init__(self, config: SimConfig) -> None:
        self._engine = _Engine(config)
        self._events = iter(self._engine)

    def __iter__(self) -> Iterator[SimEvent]:
        return self._events

    @property
    def arrivals_per_hour(self) -> float:
        return self._engine.arrivals_per_hour

    @property
    def arrivals(self) -> int:
        """Journeys started so far (each has put all its events on the timeline)."""
        return self._engine.arrivals

    @property
    def shops(self) -> int:
        return len(self._engine.shops)

    def pending_before(self, at_ms: int) -> int:
        """Events already on the timeline (of journeys started) and due before ``at_ms``."""
        return sum(1 for entry in self._engine.heap if entry[0] < at_ms)

    def retune(self, arrivals_per_hour: float) -> None:
        self._engine.retune(arrivals_per_hour)


def _take(it: Iterator[SimEvent], count: int) -> Iterator[SimEvent]:
    if count <= 0:
        return
    for i, ev in enumerate(it, 1):
        yield ev
        if i >= count:
            return


def scenario_of(config: SimConfig) -> list[Shop]:
    """The shops (agents, groups, mentors, buyers, items) that ``generate(config)`` uses."""
    return _Engine(config).shops
