"""Postgres side of ingest: look up stored event ids, append events and dead letters.

One statement per table per batch: rows travel as arrays through unnest(), so a batch of
thousands of events costs a few round trips, not thousands. No commits here: the shell
commits the batch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.batch import Candidate, DeadLetter, Key, StoredEvent
from shared.contracts import ChatMessageEvent, OrderEvent

_FIND_IN = {
    table: text(
        f"""
        SELECT t.shop_id, t.event_id, t.src_topic, t.src_partition, t.src_offset, t.body::text
        FROM {table} t
        JOIN json_to_recordset(CAST(:keys AS json)) AS k(s text, e text)
          ON t.shop_id = k.s AND t.event_id = k.e
        """
    )
    for table in ("chat_messages", "order_events")
}

# Rows travel as one JSON array [{b: the event's original bytes, t: its parsed timestamp,
# st/sp/so: its source}]: orjson writes it in C, embedding each body as it arrived, and
# Postgres parses each body once into the jsonb column and takes the other columns from
# it. (Array parameters were quoted value by value in Python; separate columns doubled
# Postgres' parsing.) The contract has already checked every field's type.
_INSERT_CHAT = text(
    """
    INSERT INTO chat_messages (shop_id, event_id, buyer_id, agent_id, sender, sent_at,
        msg_type, text, message_id, body, src_topic, src_partition, src_offset)
    SELECT b->>'shop_id', b->>'event_id', b->>'buyer_id', b->>'agent_id', b->>'sender',
        CAST(r->>'t' AS timestamptz), COALESCE(b->>'msg_type', 'text'), b->>'text',
        b->>'message_id', b, r->>'st', CAST(r->>'sp' AS int), CAST(r->>'so' AS bigint)
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r, LATERAL (SELECT r->'b' AS b) AS x
    ON CONFLICT DO NOTHING
    RETURNING shop_id, event_id
    """
)

_INSERT_ORDER = text(
    """
    INSERT INTO order_events (shop_id, event_id, type, order_id, buyer_id, occurred_at,
        amount, body, src_topic, src_partition, src_offset)
    SELECT b->>'shop_id', b->>'event_id', b->>'type', b->>'order_id', b->>'buyer_id',
        CAST(r->>'t' AS timestamptz), CAST(b->>'amount' AS numeric), b, r->>'st',
        CAST(r->>'sp' AS int), CAST(r->>'so' AS bigint)
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r, LATERAL (SELECT r->'b' AS b) AS x
    ON CONFLICT DO NOTHING
    RETURNING shop_id, event_id
    """
)

_INSERT_DEAD = text(
    """
    INSERT INTO dead_letters (shop_id, reason, detail, event_id, raw, src_topic,
        src_partition, src_offset)
    SELECT * FROM unnest(CAST(:shop_id AS text[]), CAST(:reason AS text[]),
        CAST(:detail AS text[]), CAST(:event_id AS text[]), CAST(:raw AS bytea[]),
        CAST(:src_topic AS text[]), CAST(:src_partition AS int[]),
        CAST(:src_offset AS bigint[]))
    ON CONFLICT (src_topic, src_partition, src_offset, reason) DO NOTHING
    """
)


async def find_stored(*, session: AsyncSession, keys: Collection[Key]) -> dict[Key, StoredEvent]:
    """The stored rows among `keys`, from either table (event ids are unique per shop)."""
    found: dict[Key, StoredEvent] = {}
    for table in _FIND_IN:
        found |= await _find(session, table, keys)
    return found


async def find_other_kind(
    *, session: AsyncSession, candidates: Sequence[Candidate]
) -> dict[Key, StoredEvent]:
    """Stored rows of the other table holding these events' ids: a chat message whose id
    an order event already has (or the reverse). The event's own table is checked by the
    insert itself (ON CONFLICT), which saves a lookup per event."""
    chats = [c.key for c in candidates if isinstance(c.event, ChatMessageEvent)]
    orders = [c.key for c in candidates if isinstance(c.event, OrderEvent)]
    return await _find(session, "order_events", chats) | await _find(
        session, "chat_messages", orders
    )


async def _find(session: AsyncSession, table: str, keys: Collection[Key]) -> dict[Key, StoredEvent]:
    if not keys:
        return {}
    document = orjson.dumps([{"s": shop, "e": event_id} for shop, event_id in keys])
    rows = await session.execute(_FIND_IN[table], {"keys": document.decode()})
    return {
        (shop, event_id): StoredEvent((topic, partition, offset), orjson.loads(body))
        for shop, event_id, topic, partition, offset, body in rows
    }


async def insert_events(*, session: AsyncSession, candidates: Sequence[Candidate]) -> set[Key]:
    """Append the events; returns the keys of the rows that were new (the others exist)."""
    chats = [_row(c) for c in candidates if isinstance(c.event, ChatMessageEvent)]
    orders = [_row(c) for c in candidates if isinstance(c.event, OrderEvent)]
    inserted: set[Key] = set()
    for statement, rows in ((_INSERT_CHAT, chats), (_INSERT_ORDER, orders)):
        if rows:
            result = await session.execute(statement, {"rows": orjson.dumps(rows).decode()})
            inserted.update((shop, event_id) for shop, event_id in result)
    return inserted


async def insert_dead_letters(*, session: AsyncSession, letters: Sequence[DeadLetter]) -> int:
    """Idempotent by (source, reason): re-processing a batch adds no second row."""
    if not letters:
        return 0
    result = await session.execute(
        _INSERT_DEAD,
        {
            "shop_id": [d.shop_id for d in letters],
            "reason": [str(d.reason) for d in letters],
            "detail": [d.detail for d in letters],
            "event_id": [d.event_id for d in letters],
            "raw": [d.record.value or b"" for d in letters],
            "src_topic": [d.record.topic for d in letters],
            "src_partition": [d.record.partition for d in letters],
            "src_offset": [d.record.offset for d in letters],
        },
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _row(candidate: Candidate) -> dict[str, object]:
    record = candidate.record
    return {
        "b": orjson.Fragment(candidate.raw),
        "t": candidate.event.occurred,
        "st": record.topic,
        "sp": record.partition,
        "so": record.offset,
    }
