"""Ingest on the real broker and Postgres: store, forward, dedupe, dead-letter, replay."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest.replay import replay_dead_letters
from shared import topics
from shared.db import session_factory, transaction
from shared.settings import Settings
from tests.fixtures.clock import NOW
from tests.ingest.builders import chat, encode, order, review, stamp
from tests.ingest.harness import (
    RunningIngest,
    fetch,
    ingest_settings,
    produce,
    read_topic,
    register_shop,
)

CHAT, ORDER = topics.CHAT, topics.ORDER


@pytest.fixture(scope="module")
async def ingest(settings: Settings, engine: AsyncEngine) -> AsyncIterator[RunningIngest]:
    for shop in ("shop-a", "shop-comp", "shop-dup", "shop-dl", "shop-poison"):
        await register_shop(engine, shop)
    running = await RunningIngest(ingest_settings(settings)).start()
    yield running
    await running.stop()


async def forwarded(bootstrap: str, shop: str) -> list[dict[str, object]]:
    return [
        orjson.loads(r.value)
        for r in await read_topic(bootstrap, topics.EVENTS)
        if r.key == shop.encode() and r.value
    ]


async def test_valid_events_are_stored_and_forwarded_once(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    chats = [chat("shop-a", buyer_id=f"b{i}") for i in range(30)]
    orders = [
        order("shop-a", type="order.cancelled", amount=None) if i % 3 == 0 else order("shop-a")
        for i in range(20)
    ]
    for event in orders:
        if event["amount"] is None:
            del event["amount"]
    await produce(
        kafka_bootstrap,
        [(CHAT, b"shop-a", encode(e)) for e in chats]
        + [(ORDER, b"shop-a", encode(e)) for e in orders],
    )
    await ingest.caught_up()

    rows = await fetch(
        engine,
        "SELECT event_id, body, src_topic, src_partition, src_offset, "
        "sender, sent_at FROM chat_messages WHERE shop_id = 'shop-a'",
    )
    assert sorted(r.event_id for r in rows) == sorted(e["event_id"] for e in chats)
    by_id = {e["event_id"]: e for e in chats}
    for row in rows:
        assert row.body == by_id[row.event_id]
        assert row.src_topic == CHAT and row.src_partition >= 0 and row.src_offset >= 0
        assert row.sent_at == datetime.fromisoformat(by_id[row.event_id]["sent_at"])
    orows = await fetch(
        engine, "SELECT event_id, amount, type FROM order_events WHERE shop_id = 'shop-a'"
    )
    assert sorted(r.event_id for r in orows) == sorted(e["event_id"] for e in orders)
    assert {str(r.amount) for r in orows} == {"199.00", "None"}

    sent = await forwarded(kafka_bootstrap, "shop-a")
    assert Counter(e["event_id"] for e in sent) == Counter(e["event_id"] for e in chats + orders)


async def test_every_compression_codec_is_read(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    from confluent_kafka import Producer  # librdkafka, as a shop's Go/Java/C producer would be

    expected: list[str] = []
    for codec in ("zstd", "lz4"):
        producer = Producer(
            {"bootstrap.servers": kafka_bootstrap, "compression.type": codec, "linger.ms": 20}
        )
        for i in range(25):
            event = chat("shop-comp", event_id=f"{codec}-{i}")
            producer.produce(CHAT, encode(event), key=b"shop-comp")
            expected.append(event["event_id"])
        assert await asyncio.to_thread(producer.flush, 10) == 0
    for codec in ("gzip", "snappy"):
        events = [order("shop-comp", event_id=f"{codec}-{i}") for i in range(25)]
        await produce(
            kafka_bootstrap,
            [(ORDER, b"shop-comp", encode(e)) for e in events],
            compression_type=codec,
        )
        expected += [e["event_id"] for e in events]
    await ingest.caught_up()

    rows = await fetch(
        engine,
        "SELECT event_id FROM chat_messages WHERE shop_id = 'shop-comp' "
        "UNION ALL SELECT event_id FROM order_events WHERE shop_id = 'shop-comp'",
    )
    assert sorted(r.event_id for r in rows) == sorted(expected)
    assert not await fetch(engine, "SELECT 1 FROM dead_letters WHERE shop_id = 'shop-comp'")


async def test_duplicates_are_stored_once_and_conflicts_dead_lettered(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    first = chat("shop-dup", event_id="dup-1")
    conflicting = dict(first, text="改过的内容")
    other = order("shop-dup", event_id="dup-2")
    # Same batch: an exact copy and a conflicting copy behind the original.
    await produce(
        kafka_bootstrap,
        [
            (CHAT, b"shop-dup", encode(first)),
            (CHAT, b"shop-dup", encode(first)),
            (CHAT, b"shop-dup", encode(conflicting)),
            (ORDER, b"shop-dup", encode(other)),
        ],
    )
    await ingest.caught_up()
    # Later batches: repeats of ids stored earlier, one exact and one conflicting.
    await produce(
        kafka_bootstrap,
        [
            (ORDER, b"shop-dup", encode(other)),
            (ORDER, b"shop-dup", encode(dict(other, amount="1.00"))),
        ],
    )
    await ingest.caught_up()

    rows = await fetch(
        engine,
        "SELECT event_id, body FROM chat_messages WHERE shop_id = "
        "'shop-dup' UNION ALL SELECT event_id, body FROM order_events "
        "WHERE shop_id = 'shop-dup'",
    )
    assert {r.event_id: r.body for r in rows} == {"dup-1": first, "dup-2": other}
    letters = await fetch(
        engine,
        "SELECT reason, event_id, raw, detail FROM dead_letters "
        "WHERE shop_id = 'shop-dup' ORDER BY id",
    )
    assert [(r.reason, r.event_id) for r in letters] == [
        ("conflicting_duplicate", "dup-1"),
        ("conflicting_duplicate", "dup-2"),
    ]
    assert letters[0].raw == encode(conflicting)
    assert letters[1].raw == encode(dict(other, amount="1.00"))
    sent = await forwarded(kafka_bootstrap, "shop-dup")
    assert sent == [first] or Counter(e["event_id"] for e in sent) == {"dup-1": 1, "dup-2": 1}
    assert Counter(e["event_id"] for e in sent) == {"dup-1": 1, "dup-2": 1}


REJECTS = {
    "not_json": b'{"event_id": "x", "shop_id": "shop-dl"',
    "not_object": b'["shop-dl"]',
    "unknown_type": encode(chat("shop-dl", event_id="dl-type", type="chat.recalled")),
    "invalid_fields": encode(order("shop-dl", event_id="dl-fields", amount="-5")),
    "unknown_shop": encode(chat("no-such-shop", event_id="dl-shop")),
    "future_timestamp": encode(
        chat("shop-dl", event_id="dl-future", sent_at=stamp(NOW + timedelta(hours=1)))
    ),
    "too_old": encode(chat("shop-dl", event_id="dl-old", sent_at=stamp(NOW - timedelta(days=500)))),
    "over_size": encode(chat("shop-dl", event_id="dl-big", text="大" * 30_000)),
}


async def test_every_rejection_has_its_dead_letter(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    await produce(
        kafka_bootstrap,
        [(CHAT, b"shop-dl", raw) for raw in REJECTS.values()],
        max_request_size=4 * 1024 * 1024,
    )
    await ingest.caught_up()

    rows = await fetch(
        engine,
        "SELECT reason, shop_id, event_id, raw, detail, src_topic, "
        "src_partition, src_offset, created_at FROM dead_letters "
        "WHERE raw = ANY(:raws)",
        raws=list(REJECTS.values()),
    )
    by_reason = {r.reason: r for r in rows}
    assert set(by_reason) == set(REJECTS)
    for reason, raw in REJECTS.items():
        row = by_reason[reason]
        assert row.raw == raw and row.detail and row.src_topic == CHAT
        assert row.created_at is not None
    assert by_reason["not_json"].shop_id == "" and by_reason["not_json"].event_id is None
    assert by_reason["unknown_shop"].shop_id == "no-such-shop"
    assert by_reason["too_old"].event_id == "dl-old"
    assert not await fetch(engine, "SELECT 1 FROM chat_messages WHERE shop_id = 'shop-dl'")

    letters = [
        r
        for r in await read_topic(kafka_bootstrap, topics.DEADLETTER)
        if r.value in REJECTS.values()
    ]
    assert sorted(dict(r.headers)["reason"].decode() for r in letters) == sorted(REJECTS)
    for record in letters:
        headers = dict(record.headers)
        row = by_reason[headers["reason"].decode()]
        assert headers["src_topic"] == CHAT.encode()
        assert int(headers["src_partition"]) == row.src_partition
        assert int(headers["src_offset"]) == row.src_offset
        assert headers["detail"].decode() == row.detail


async def test_poison_message_does_not_block_its_partition(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    good = [chat("shop-poison", event_id=f"p-{i}") for i in range(6)]
    poison = [
        b"\x00\xff garbage",
        encode(chat("shop-poison", event_id="p-nul", text="a\u0000b")),
        encode(order("shop-poison", event_id="p-huge", amount="99999999999999999.99")),
    ]
    stream = [
        encode(good[0]),
        poison[0],
        encode(good[1]),
        encode(good[2]),
        poison[1],
        encode(good[3]),
        poison[2],
        encode(good[4]),
        encode(good[5]),
    ]
    await produce(kafka_bootstrap, [(CHAT, b"shop-poison", raw) for raw in stream])
    await ingest.caught_up()

    rows = await fetch(
        engine,
        "SELECT event_id FROM chat_messages WHERE shop_id = 'shop-poison' ORDER BY src_offset",
    )
    assert [r.event_id for r in rows] == [e["event_id"] for e in good]
    letters = await fetch(
        engine, "SELECT raw FROM dead_letters WHERE raw = ANY(:raws)", raws=poison
    )
    assert len(letters) == 3


async def test_unknown_shop_is_replayed_once_registered(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine, settings: Settings
) -> None:
    events = [chat("shop-late", event_id=f"late-{i}") for i in range(5)]
    await produce(kafka_bootstrap, [(CHAT, b"shop-late", encode(e)) for e in events])
    await ingest.caught_up()
    letters = await fetch(
        engine,
        "SELECT id FROM dead_letters WHERE shop_id = 'shop-late' AND reason = 'unknown_shop'",
    )
    assert len(letters) == 5
    assert not await fetch(engine, "SELECT 1 FROM chat_messages WHERE shop_id = 'shop-late'")

    await register_shop(engine, "shop-late")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        async with transaction(session_factory(engine)) as session:
            result = await replay_dead_letters(
                session=session, producer=producer, shop_id="shop-late"
            )
        assert result.replayed == 5 and sorted(result.ids) == sorted(r.id for r in letters)
        async with transaction(session_factory(engine)) as session:
            again = await replay_dead_letters(
                session=session, producer=producer, shop_id="shop-late"
            )
        assert again.replayed == 0
    finally:
        await producer.stop()
    await asyncio.sleep(0.3)  # the shop cache's TTL in these tests
    await ingest.caught_up()

    rows = await fetch(
        engine, "SELECT event_id, body FROM chat_messages WHERE shop_id = 'shop-late'"
    )
    assert {r.event_id: r.body for r in rows} == {e["event_id"]: e for e in events}
    marked = await fetch(
        engine, "SELECT replayed_at, replay_result FROM dead_letters WHERE shop_id = 'shop-late'"
    )
    assert len(marked) == 5
    assert all(
        r.replayed_at is not None and r.replay_result == f"produced to {CHAT}" for r in marked
    )
    sent = await forwarded(kafka_bootstrap, "shop-late")
    assert Counter(e["event_id"] for e in sent) == {e["event_id"]: 1 for e in events}


async def test_reprocessing_a_batch_forwards_again_but_stores_once(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    """A crash after the DB commit but before the offset commit: the batch comes again."""
    from services.ingest.batch import InRecord

    events = [chat("shop-a", event_id=f"again-{i}") for i in range(3)]
    records = [InRecord(CHAT, 0, 1_000_000 + i, b"shop-a", encode(e)) for i, e in enumerate(events)]
    first = await ingest.worker.processor.process(records)
    second = await ingest.worker.processor.process(records)
    assert (first.stored, first.forwarded, first.duplicates) == (3, 3, 0)
    assert (second.stored, second.forwarded, second.duplicates) == (0, 3, 0)
    rows = await fetch(engine, "SELECT event_id FROM chat_messages WHERE event_id LIKE 'again-%'")
    assert len(rows) == 3


async def test_batch_mixing_new_and_stored_ids_of_either_kind(
    ingest: RunningIngest, engine: AsyncEngine
) -> None:
    """New rows next to already stored ones (own source, other source, other table): only
    the new ones count as stored, the rest are replays or duplicates."""
    from services.ingest.batch import InRecord

    old_chat = chat("shop-a", event_id="mix-1")
    taken = chat("shop-a", event_id="mix-3")
    earlier = [InRecord(CHAT, 1, 2_000_000, b"shop-a", encode(old_chat))]
    earlier.append(InRecord(CHAT, 1, 2_000_001, b"shop-a", encode(taken)))
    assert (await ingest.worker.processor.process(earlier)).stored == 2

    mixed = [
        earlier[0],  # the same source again: our own earlier attempt
        InRecord(CHAT, 1, 2_000_002, b"shop-a", encode(chat("shop-a", event_id="mix-2"))),
        InRecord(ORDER, 1, 2_000_003, b"shop-a", encode(order("shop-a", event_id="mix-3"))),
        InRecord(ORDER, 1, 2_000_004, b"shop-a", encode(order("shop-a", event_id="mix-4"))),
    ]
    result = await ingest.worker.processor.process(mixed)
    assert (result.stored, result.forwarded, result.duplicates, result.dead_letters) == (2, 3, 1, 1)
    rows = await fetch(
        engine,
        "SELECT event_id FROM chat_messages WHERE event_id LIKE 'mix-%' UNION ALL "
        "SELECT event_id FROM order_events WHERE event_id LIKE 'mix-%'",
    )
    assert sorted(r.event_id for r in rows) == ["mix-1", "mix-2", "mix-3", "mix-4"]


async def test_reviews_are_stored_forwarded_and_deduped_across_kinds(
    ingest: RunningIngest, kafka_bootstrap: str, engine: AsyncEngine
) -> None:
    """review.posted (SPEC §11) is stored in review_events with its DSR, forwarded like
    every event, deduped against chat and order ids; a bad DSR is dead-lettered."""
    from services.ingest.batch import InRecord

    full = review("shop-a", event_id="rev-1", dsr={"item": 5, "service": 4, "extra": "x"})
    no_dsr = review("shop-a", event_id="rev-2", dsr=None, rating="bad", text="")
    partial = review("shop-a", event_id="rev-3", dsr={"logistics": 1})
    clash = review("shop-a", event_id="rev-chat")  # the id of a stored chat message
    bad = review("shop-a", event_id="rev-bad", dsr={"item": 5.0})
    first = [InRecord(CHAT, 2, 3_000_000, b"shop-a", encode(chat("shop-a", event_id="rev-chat")))]
    assert (await ingest.worker.processor.process(first)).stored == 1
    records = [
        InRecord(ORDER, 2, 3_000_001 + i, b"shop-a", encode(e))
        for i, e in enumerate((full, no_dsr, partial, clash, bad, full))
    ]
    result = await ingest.worker.processor.process(records)
    assert (result.stored, result.forwarded, result.duplicates) == (3, 3, 2)
    rows = await fetch(
        engine,
        "SELECT event_id, rating, text, dsr_item, dsr_service, dsr_logistics, body "
        "FROM review_events WHERE event_id LIKE 'rev-%' ORDER BY event_id",
    )
    assert [tuple(r[:6]) for r in rows] == [
        ("rev-1", "good", "小美服务很好", 5, 4, None),
        ("rev-2", "bad", "", None, None, None),
        ("rev-3", "good", "小美服务很好", None, None, 1),
    ]
    assert rows[0].body["dsr"]["extra"] == "x"  # kept as it arrived
    letters = await fetch(
        engine,
        "SELECT event_id, reason, detail FROM dead_letters WHERE event_id IN "
        "('rev-bad', 'rev-chat') ORDER BY event_id",
    )
    assert [(r.event_id, r.reason) for r in letters] == [
        ("rev-bad", "invalid_fields"),
        ("rev-chat", "conflicting_duplicate"),
    ]
    assert "dsr: item must be a JSON integer from 1 to 5" in letters[0].detail
