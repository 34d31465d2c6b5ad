"""Test helpers for the scoring shell: an ingest stand-in, a traffic generator, readers.

`ingest` mimics the ingest service: store the events in the raw tables (first event_id
wins) BEFORE forwarding their JSON to cs.events.v1 keyed by shop_id, so these tests do not
depend on services/ingest.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.parts import AgentDayParts, ShopDayParts
from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from domain.spread import decode
from services.alerts import evaluate_after_batch
from services.scoring.core.model import ChatMessage, Event, OrderEvent, ReviewEvent
from services.scoring.repository import driver
from services.scoring.worker import ScoringWorker
from shared import topics
from shared.kafka import create_producer, log_end_offsets
from shared.settings import Settings
from tests.fixtures.clock import NOW
from tests.scoring.recompute import derive_all, recompute

CST = timezone(timedelta(hours=8))
_offsets = itertools.count()


def ts(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def chat(
    shop: str,
    eid: str,
    buyer: str,
    agent: str | None,
    sender: str,
    at: datetime,
    text: str = "您好亲，在的😊😊😊",
    msg_type: str = "text",
) -> dict[str, Any]:
    return {
        "type": "chat.message",
        "shop_id": shop,
        "event_id": eid,
        "buyer_id": buyer,
        "agent_id": agent,
        "sender": sender,
        "sent_at": ts(at),
        "msg_type": msg_type,
        "text": text,
    }


def order(
    shop: str,
    eid: str,
    kind: str,
    order_id: str,
    buyer: str,
    at: datetime,
    amount: str | None = "199.00",
) -> dict[str, Any]:
    body = {
        "type": f"order.{kind}",
        "shop_id": shop,
        "event_id": eid,
        "order_id": order_id,
        "buyer_id": buyer,
        "occurred_at": ts(at),
    }
    if amount is not None:
        body["amount"] = amount
    return body


def review(
    shop: str,
    eid: str,
    order_id: str,
    buyer: str,
    at: datetime,
    rating: str = "good",
    text: str = "",
    dsr: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A SPEC §11 review.posted."""
    body: dict[str, Any] = {
        "type": "review.posted",
        "shop_id": shop,
        "event_id": eid,
        "order_id": order_id,
        "buyer_id": buyer,
        "posted_at": ts(at),
        "rating": rating,
        "text": text,
    }
    if dsr is not None:
        body["dsr"] = dsr
    return body


def to_core(body: dict[str, Any]) -> Event:
    if body["type"] == "review.posted":
        dsr = body.get("dsr") or {}
        return ReviewEvent(
            body["shop_id"],
            body["event_id"],
            body["order_id"],
            body["buyer_id"],
            datetime.fromisoformat(body["posted_at"]),
            body["rating"],
            body["text"],
            dsr.get("item"),
            dsr.get("service"),
            dsr.get("logistics"),
        )
    if body["type"] == "chat.message":
        return ChatMessage(
            body["shop_id"],
            body["event_id"],
            body["buyer_id"],
            body["agent_id"],
            body["sender"],
            datetime.fromisoformat(body["sent_at"]),
            body.get("msg_type", "text"),
            body["text"],
        )
    amount = body.get("amount")
    return OrderEvent(
        body["shop_id"],
        body["event_id"],
        body["type"],
        body["order_id"],
        body["buyer_id"],
        datetime.fromisoformat(body["occurred_at"]),
        Decimal(amount) if amount is not None else None,
    )


async def register_shop(
    engine: AsyncEngine,
    shop_id: str,
    settings: dict[str, Any] | None = None,
    rules: dict[str, Any] | None = None,
) -> None:
    async with engine.begin() as conn:
        pg = await driver(conn)
        await pg.execute(
            "INSERT INTO shops (shop_id, name, settings, qa_rules) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (shop_id) DO UPDATE SET settings = excluded.settings,"
            " qa_rules = excluded.qa_rules",
            (
                shop_id,
                shop_id,
                orjson.dumps(settings or {}).decode(),
                orjson.dumps(rules or {}).decode(),
            ),
        )


async def store_raw(engine: AsyncEngine, events: Sequence[dict[str, Any]]) -> None:
    chats = [e for e in events if e["type"] == "chat.message"]
    orders = [e for e in events if e["type"].startswith("order.")]
    reviews = [e for e in events if e["type"] == "review.posted"]
    async with engine.begin() as conn:
        pg = await driver(conn)
        async with pg.cursor() as cur:
            if chats:
                await cur.executemany(
                    "INSERT INTO chat_messages (shop_id, event_id, buyer_id, agent_id, sender,"
                    " sent_at, msg_type, text, body, src_topic, src_partition, src_offset)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'cs.chat.v1', 0, %s)"
                    " ON CONFLICT (shop_id, event_id) DO NOTHING",
                    [
                        (
                            e["shop_id"],
                            e["event_id"],
                            e["buyer_id"],
                            e["agent_id"],
                            e["sender"],
                            datetime.fromisoformat(e["sent_at"]),
                            e.get("msg_type", "text"),
                            e["text"],
                            orjson.dumps(e).decode(),
                            next(_offsets),
                        )
                        for e in chats
                    ],
                )
            if orders:
                await cur.executemany(
                    "INSERT INTO order_events (shop_id, event_id, type, order_id, buyer_id,"
                    " occurred_at, amount, body, src_topic, src_partition, src_offset)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'cs.order.v1', 0, %s)"
                    " ON CONFLICT (shop_id, event_id) DO NOTHING",
                    [
                        (
                            e["shop_id"],
                            e["event_id"],
                            e["type"],
                            e["order_id"],
                            e["buyer_id"],
                            datetime.fromisoformat(e["occurred_at"]),
                            Decimal(e["amount"]) if e.get("amount") is not None else None,
                            orjson.dumps(e).decode(),
                            next(_offsets),
                        )
                        for e in orders
                    ],
                )
            if reviews:
                await cur.executemany(
                    "INSERT INTO review_events (shop_id, event_id, order_id, buyer_id,"
                    " posted_at, rating, text, dsr_item, dsr_service, dsr_logistics, body,"
                    " src_topic, src_partition, src_offset)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'cs.order.v1', 0, %s)"
                    " ON CONFLICT (shop_id, event_id) DO NOTHING",
                    [
                        (
                            e["shop_id"],
                            e["event_id"],
                            e["order_id"],
                            e["buyer_id"],
                            datetime.fromisoformat(e["posted_at"]),
                            e["rating"],
                            e["text"],
                            *(
                                (e.get("dsr") or {}).get(k)
                                for k in ("item", "service", "logistics")
                            ),
                            orjson.dumps(e).decode(),
                            next(_offsets),
                        )
                        for e in reviews
                    ],
                )


async def produce(settings: Settings, events: Sequence[dict[str, Any]]) -> None:
    producer = create_producer(settings, linger_ms=20)
    await producer.start()
    try:
        futures = [
            await producer.send(topics.EVENTS, orjson.dumps(e), key=e["shop_id"].encode())
            for e in events
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def ingest(engine: AsyncEngine, settings: Settings, events: Sequence[dict[str, Any]]) -> None:
    """Store first (ingest's order), then forward; duplicates are forwarded too."""
    for start in range(0, len(events), 20_000):
        await store_raw(engine, events[start : start + 20_000])
    await produce(settings, events)


async def end_offsets(settings: Settings) -> dict[int, int]:
    """True log ends of the events topic (see shared.kafka.log_end_offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.require_kafka())
    await consumer.start()
    try:
        await consumer.topics()  # loads the cluster metadata
        parts = consumer.partitions_for_topic(topics.EVENTS) or set()
    finally:
        await consumer.stop()
    assert parts, "no metadata for the events topic"
    ends = await log_end_offsets(
        settings.require_kafka(), [TopicPartition(topics.EVENTS, p) for p in parts]
    )
    return {tp.partition: o for tp, o in ends.items()}


async def stored_offsets(engine: AsyncEngine, group_id: str) -> dict[int, int]:
    async with engine.connect() as conn:
        pg = await driver(conn)
        cur = await pg.execute(
            "SELECT partition, next_offset FROM consumer_offsets"
            " WHERE group_id = %s AND topic = %s",
            (group_id, topics.EVENTS),
        )
        rows = await cur.fetchall()
        await conn.rollback()
    return {int(p): int(o) for p, o in rows}


async def wait_caught_up(
    engine: AsyncEngine, settings: Settings, group_id: str, limit: float = 60.0, check: Any = None
) -> None:
    ends = {p: o for p, o in (await end_offsets(settings)).items() if o > 0}
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        stored = await stored_offsets(engine, group_id)
        if all(stored.get(p, 0) >= o for p, o in ends.items()):
            return
        if check is not None:
            check()
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"group {group_id} at {stored}, log ends at {ends}")
        await asyncio.sleep(0.1)


async def uncovered_shops(engine: AsyncEngine, shop_ids: Iterable[str]) -> list[str]:
    """The shops with a stored event that no committed derivation has seen yet."""
    async with engine.connect() as conn:
        pg = await driver(conn)
        cur = await pg.execute(
            "SELECT s.shop_id FROM shops s WHERE s.shop_id = ANY(%(s)s) AND ("
            " EXISTS (SELECT FROM chat_messages c WHERE c.shop_id = s.shop_id"
            "  AND c.ingest_xid >= s.raw_covered_xid) OR"
            " EXISTS (SELECT FROM order_events o WHERE o.shop_id = s.shop_id"
            "  AND o.ingest_xid >= s.raw_covered_xid))",
            {"s": list(shop_ids)},
        )
        rows = await cur.fetchall()
        await conn.rollback()
    return sorted(row[0] for row in rows)


async def wait_covered(engine: AsyncEngine, shop_ids: Iterable[str], limit: float = 60.0) -> None:
    """Until a catch-up has covered every stored event of the shops."""
    shops = list(shop_ids)
    deadline = asyncio.get_running_loop().time() + limit
    while left := await uncovered_shops(engine, shops):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"stored events of {left} not caught up")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def running_worker(
    engine: AsyncEngine, settings: Settings, group_id: str, *, purge_every_s: float | None = None
) -> AsyncIterator[tuple[ScoringWorker, asyncio.Task[None]]]:
    """An in-process worker on every partition, stopped (batch committed) on exit; with
    `purge_every_s`, purging raw events past retention as of NOW (once at start)."""
    # Static assignment: joining a group costs seconds on Tansu; the group path has its own
    # (slow) tests.
    worker = ScoringWorker(
        engine=engine,
        settings=settings,
        group_id=group_id,
        partitions=sorted(await end_offsets(settings)),
        after_batch=[evaluate_after_batch],  # wired as the scoring process wires it
        purge_every_s=purge_every_s,
        clock=lambda: NOW,  # the retention purge's "now": never the wall clock
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker, task
    finally:
        stop.set()
        await task


async def drain(engine: AsyncEngine, settings: Settings, group_id: str) -> None:
    """Run an in-process worker until its stored offsets reach the log end, then stop it."""
    async with running_worker(engine, settings, group_id) as (_, task):
        await wait_caught_up(
            engine, settings, group_id, check=lambda: task.result() if task.done() else None
        )


# --- reading results and the reference ------------------------------------------------

AgentRows = dict[tuple[str, str, date], AgentDayParts]
ShopRows = dict[tuple[str, date], ShopDayParts]


async def read_rollups(engine: AsyncEngine, shop_id: str) -> tuple[AgentRows, ShopRows]:
    async with engine.connect() as conn:
        pg = await driver(conn)
        fields = ", ".join(AgentDayParts.FIELDS)
        cur = await pg.execute(
            f"SELECT shop_id, agent_id, day, {fields} FROM agent_daily WHERE shop_id = %s",
            (shop_id,),
        )
        agents = {(r[0], r[1], r[2]): AgentDayParts(*r[3:]) for r in await cur.fetchall()}
        fields = ", ".join(ShopDayParts.FIELDS)
        cur = await pg.execute(
            f"SELECT shop_id, day, {fields} FROM shop_daily WHERE shop_id = %s", (shop_id,)
        )
        shops = {(r[0], r[1]): ShopDayParts(*r[2:]) for r in await cur.fetchall()}
        await conn.rollback()
    return (
        {k: v for k, v in agents.items() if not v.is_zero()},
        {k: v for k, v in shops.items() if not v.is_zero()},
    )


SpreadRows = dict[tuple[str, str, date], tuple[list[int], list[int]]]


async def read_spreads(engine: AsyncEngine, shop_id: str) -> SpreadRows:
    """agent_responses: (shop, agent, day) -> (response µs, first response µs), sorted,
    of the agent-day's parts together."""
    async with engine.connect() as conn:
        pg = await driver(conn)
        cur = await pg.execute(
            "SELECT shop_id, agent_id, day, response_us, first_response_us"
            " FROM agent_responses WHERE shop_id = %s",
            (shop_id,),
        )
        rows: SpreadRows = {}
        for r in await cur.fetchall():
            responses, first = rows.setdefault((r[0], r[1], r[2]), ([], []))
            responses += decode(r[3])
            first += decode(r[4])
        await conn.rollback()
    return {key: (sorted(r), sorted(f)) for key, (r, f) in rows.items()}


def expected_spreads(
    events: Iterable[dict[str, Any]], shop_id: str, settings: dict[str, Any] | None = None
) -> SpreadRows:
    """The response times batch.recompute finds over the same events."""
    mine = [to_core(e) for e in events if e["shop_id"] == shop_id]
    totals = recompute(
        mine, {shop_id: ShopSettings.from_dict(settings or {})}, {shop_id: QaRules()}
    )
    return {key: (t.to_json()["r"], t.to_json()["f"]) for key, t in totals.spreads.items()}


def expected_rollups(
    events: Iterable[dict[str, Any]], shop_id: str, settings: dict[str, Any] | None = None
) -> tuple[AgentRows, ShopRows]:
    """batch.recompute over the same events (duplicates included: it dedupes)."""
    mine = [to_core(e) for e in events if e["shop_id"] == shop_id]
    totals = recompute(
        mine, {shop_id: ShopSettings.from_dict(settings or {})}, {shop_id: QaRules()}
    )
    return dict(totals.agent_days), dict(totals.shop_days)


async def read_facts(engine: AsyncEngine, shop_id: str) -> dict[str, set[tuple[Any, ...]]]:
    """Sessions, violations and inquiries of a shop, as comparable sets."""
    queries = {
        "sessions": "SELECT buyer_id, agent_id, started_at, ended_at, day, closed,"
        " buyer_messages + agent_messages, qa_score FROM sessions WHERE shop_id = %s",
        "violations": "SELECT buyer_id, agent_id, session_started_at, rule, message_event_id,"
        " occurrences, penalty FROM violations WHERE shop_id = %s",
        "inquiries": "SELECT buyer_id, agent_id, day, kind, status, order_ids FROM inquiries"
        " WHERE shop_id = %s",
        "reviews": "SELECT buyer_id, order_id, event_id, day, rating, agent_id, mentions"
        " FROM order_reviews WHERE shop_id = %s",
    }
    found: dict[str, set[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        pg = await driver(conn)
        for name, sql in queries.items():
            cur = await pg.execute(sql, (shop_id,))
            found[name] = {
                tuple(orjson.dumps(v).decode() if isinstance(v, list) else v for v in row)
                for row in await cur.fetchall()
            }
        await conn.rollback()
    return found


def expected_facts(
    events: Iterable[dict[str, Any]], shop_id: str, settings: dict[str, Any] | None = None
) -> dict[str, set[tuple[Any, ...]]]:
    mine = [to_core(e) for e in events if e["shop_id"] == shop_id]
    derived = derive_all(mine, {shop_id: ShopSettings.from_dict(settings or {})})
    found: dict[str, set[tuple[Any, ...]]] = {
        "sessions": set(),
        "violations": set(),
        "inquiries": set(),
        "reviews": set(),
    }
    for (_, buyer), facts in derived.items():
        for s in facts.sessions:
            found["sessions"].add(
                (
                    buyer,
                    s.agent_id,
                    s.first_at,
                    s.last_at,
                    s.day,
                    s.closed,
                    len(s.message_ids),
                    s.qa.score if s.qa else None,
                )
            )
            for v in s.qa.violations if s.qa else ():
                found["violations"].add(
                    (buyer, s.agent_id, s.first_at, v.rule, v.message_event_id, v.count, v.penalty)
                )
        for c in facts.consultations:
            found["inquiries"].add(
                (
                    buyer,
                    c.agent_id,
                    c.day,
                    c.kind,
                    c.status,
                    orjson.dumps(list(c.order_ids)).decode(),
                )
            )
        for r in facts.reviews:
            found["reviews"].add(
                (
                    buyer,
                    r.order_id,
                    r.event_id,
                    r.day,
                    r.rating,
                    r.service_agent,
                    orjson.dumps(list(r.mentions)).decode(),
                )
            )
    return found


# --- a traffic generator (used when shared.simulator has no generator) ----------------

PHRASES = (
    "您好亲，在的😊",
    "这款有货吗",
    "好的呢👍👍",
    "不知道",
    "亲，欢迎光临🌹🌹🌹",
    "发什么快递",
    "谢谢",
    "ok",
    "自己看详情页",
    "稍等",
)


def _reviews(
    rng: random.Random,
    shop_id: str,
    prefix: str,
    ids: Iterator[int],
    oid: str,
    buyer: str,
    placed: datetime,
    agent_ids: list[str],
) -> list[dict[str, Any]]:
    """One review of the order (sometimes changed later, sometimes of an order id that is
    never placed), naming an agent in some case or nobody, with a partial DSR."""
    found = []
    at = placed + timedelta(seconds=rng.randint(60, 3 * 86400))
    for _ in range(rng.choice((1, 1, 1, 2))):  # 改评: a second review replaces the first
        rating = rng.choices(("good", "neutral", "bad"), (7, 1, 2))[0]
        named = rng.choice(agent_ids)
        text = rng.choice((f"{named}服务好", f"谢谢{named.upper()}", "还行", "", "差"))
        keys = rng.sample(("item", "service", "logistics"), rng.randint(0, 3))
        dsr = {k: rng.randint(1, 5) for k in keys} if keys else None
        order_id = oid if rng.random() < 0.95 else f"{oid}-never"
        found.append(
            review(shop_id, f"{prefix}{next(ids)}", order_id, buyer, at, rating, text, dsr)
        )
        at += timedelta(seconds=rng.choice((0, 1, 3600, 86400)))
    return found


def generate(
    seed: int,
    shop_id: str,
    n: int,
    *,
    buyers: int = 300,
    agents: int = 5,
    start: datetime = datetime(2026, 11, 9, 9, 0, tzinfo=CST),
    days: float = 4.0,
    prefix: str = "e",
    reviews: float = 0.0,
) -> list[dict[str, Any]]:
    """About n valid events in journeys (chats, orders, payments, cancels, refunds and,
    for a share `reviews` of the orders, reviews: some changed, some naming the agent, some
    of orders never placed), in time order; callers shuffle, delay or duplicate them."""
    rng = random.Random(seed)
    agent_ids = [f"agent-{i}" for i in range(agents)]
    events: list[dict[str, Any]] = []
    ids = itertools.count()
    span = days * 86400
    while len(events) < n:
        buyer = f"buyer-{rng.randrange(buyers)}"
        agent = rng.choice(agent_ids)
        t = start + timedelta(seconds=rng.uniform(0, span))
        for _ in range(rng.randint(1, 12)):
            sender = rng.choices(("buyer", "agent", "bot", "system"), (10, 9, 1, 1))[0]
            who = None if rng.random() < 0.03 else agent
            kind = rng.choices(("text", "emoji", "image"), (12, 2, 1))[0]
            text = rng.choice(PHRASES) if kind != "image" else ""
            events.append(chat(shop_id, f"{prefix}{next(ids)}", buyer, who, sender, t, text, kind))
            t += timedelta(seconds=rng.choice((3, 20, 45, 300, 2000, 4000)))
        if rng.random() < 0.4:
            oid = f"{prefix}o{next(ids)}"
            amount = f"{rng.randint(10, 999)}.{rng.randint(0, 99):02d}"
            t += timedelta(seconds=rng.randint(10, 20000))
            events.append(order(shop_id, f"{prefix}{next(ids)}", "created", oid, buyer, t, amount))
            if rng.random() < reviews:
                events.extend(_reviews(rng, shop_id, prefix, ids, oid, buyer, t, agent_ids))
            roll = rng.random()
            if roll < 0.6:
                t2 = t + timedelta(seconds=rng.randint(5, 90000))
                events.append(
                    order(shop_id, f"{prefix}{next(ids)}", "paid", oid, buyer, t2, amount)
                )
                if rng.random() < 0.1:
                    events.append(
                        order(
                            shop_id,
                            f"{prefix}{next(ids)}",
                            "refunded",
                            oid,
                            buyer,
                            t2 + timedelta(hours=5),
                            "10.00",
                        )
                    )
            elif roll < 0.75:
                events.append(
                    order(
                        shop_id,
                        f"{prefix}{next(ids)}",
                        "cancelled",
                        oid,
                        buyer,
                        t + timedelta(hours=1),
                        None,
                    )
                )
    return events
