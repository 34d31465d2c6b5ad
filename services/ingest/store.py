"""Postgres side of ingest: look up stored event ids, append events and dead letters.

One statement per table per batch: rows travel as arrays through unnest(), so a batch of
thousands of events costs a few round trips, not thousands. No commits here: the shell
commits the batch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import orjson
from psycopg.types.json import Jsonb
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.batch import Candidate, DeadLetter, Key, StoredEvent

_RAW_TABLES = ("chat_messages", "order_events", "review_events")


def _among_keys(columns: str, table: str, where: str = "") -> TextClause:
    """SELECT `columns` of `table`'s rows among the :keys document (`_keys`)."""
    return text(
        f"""
        SELECT {columns}
        FROM {table} t
        JOIN json_to_recordset(CAST(:keys AS json)) AS k(s text, e text)
          ON t.shop_id = k.s AND t.event_id = k.e
        {where}
        """
    )


def _keys(keys: Collection[Key]) -> dict[str, str]:
    return {"keys": orjson.dumps([{"s": shop, "e": event_id} for shop, event_id in keys]).decode()}


_FIND_IN = {
    table: _among_keys(
        "t.shop_id, t.event_id, t.src_topic, t.src_partition, t.src_offset, t.body::text", table
    )
    for table in _RAW_TABLES
}
# Of `keys`, the rows this transaction wrote: keys only, no bodies (a batch with one
# duplicate among thousands would otherwise read every body back).
_MINE_IN = {
    table: _among_keys("t.shop_id, t.event_id", table, "WHERE t.xmin = pg_current_xact_id()::xid")
    for table in _RAW_TABLES
}

# Rows travel as one JSON array of [the event's original bytes, its parsed timestamp,
# source topic, partition, offset]: orjson writes it in C, embedding each body as it
# arrived, and Postgres parses each body once into the jsonb column and takes the other
# columns from it. (Array parameters were quoted value by value in Python; separate
# columns doubled Postgres' parsing.) The contract has already checked every field's type.
# Event ids are unique per shop across both tables: a row is skipped when its id is in
# the other table (NOT EXISTS) or in its own (ON CONFLICT). Nothing is returned: when
# every row went in (the usual case) the row count says so.
_INSERT = {
    "chat_messages": text(
        """
        INSERT INTO chat_messages (shop_id, event_id, buyer_id, agent_id, sender, sent_at,
            msg_type, text, message_id, body, src_topic, src_partition, src_offset)
        SELECT b->>'shop_id', b->>'event_id', b->>'buyer_id', b->>'agent_id', b->>'sender',
            CAST(r->>1 AS timestamptz), COALESCE(b->>'msg_type', 'text'), b->>'text',
            b->>'message_id', b, r->>2, CAST(r->>3 AS int), CAST(r->>4 AS bigint)
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r, LATERAL (SELECT r->0 AS b) AS x
        WHERE NOT EXISTS (SELECT FROM order_events o
                          WHERE o.shop_id = b->>'shop_id' AND o.event_id = b->>'event_id')
          AND NOT EXISTS (SELECT FROM review_events v
                          WHERE v.shop_id = b->>'shop_id' AND v.event_id = b->>'event_id')
        ON CONFLICT DO NOTHING
        """
    ),
    "order_events": text(
        """
        INSERT INTO order_events (shop_id, event_id, type, order_id, buyer_id, occurred_at,
            amount, body, src_topic, src_partition, src_offset)
        SELECT b->>'shop_id', b->>'event_id', b->>'type', b->>'order_id', b->>'buyer_id',
            CAST(r->>1 AS timestamptz), CAST(b->>'amount' AS numeric), b, r->>2,
            CAST(r->>3 AS int), CAST(r->>4 AS bigint)
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r, LATERAL (SELECT r->0 AS b) AS x
        WHERE NOT EXISTS (SELECT FROM chat_messages c
                          WHERE c.shop_id = b->>'shop_id' AND c.event_id = b->>'event_id')
          AND NOT EXISTS (SELECT FROM review_events v
                          WHERE v.shop_id = b->>'shop_id' AND v.event_id = b->>'event_id')
        ON CONFLICT DO NOTHING
        """
    ),
    # SPEC §11 review.posted; "dsr": null and a missing key both read as SQL NULL.
    "review_events": text(
        """
        INSERT INTO review_events (shop_id, event_id, order_id, buyer_id, posted_at, rating,
            text, dsr_item, dsr_service, dsr_logistics, body, src_topic, src_partition,
            src_offset)
        SELECT b->>'shop_id', b->>'event_id', b->>'order_id', b->>'buyer_id',
            CAST(r->>1 AS timestamptz), b->>'rating', b->>'text',
            CAST(b->'dsr'->>'item' AS smallint), CAST(b->'dsr'->>'service' AS smallint),
            CAST(b->'dsr'->>'logistics' AS smallint), b, r->>2,
            CAST(r->>3 AS int), CAST(r->>4 AS bigint)
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r, LATERAL (SELECT r->0 AS b) AS x
        WHERE NOT EXISTS (SELECT FROM chat_messages c
                          WHERE c.shop_id = b->>'shop_id' AND c.event_id = b->>'event_id')
          AND NOT EXISTS (SELECT FROM order_events o
                          WHERE o.shop_id = b->>'shop_id' AND o.event_id = b->>'event_id')
        ON CONFLICT DO NOTHING
        """
    ),
}

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


async def _find(session: AsyncSession, table: str, keys: Collection[Key]) -> dict[Key, StoredEvent]:
    """Stored rows of `table` among `keys`."""
    if not keys:
        return {}
    rows = await session.execute(_FIND_IN[table], _keys(keys))
    return {
        (shop, event_id): StoredEvent((topic, partition, offset), orjson.loads(body))
        for shop, event_id, topic, partition, offset, body in rows
    }


async def insert_events(*, session: AsyncSession, candidates: Sequence[Candidate]) -> set[Key]:
    """Append the events; returns the keys that were not new (already stored, in their own
    table or in the other one) — usually none."""
    existing: set[Key] = set()
    for table in _INSERT:
        group = [c for c in candidates if c.table == table]
        if not group:
            continue
        document = Jsonb([_row(c) for c in group], dumps=orjson.dumps)
        result = await session.execute(_INSERT[table], {"rows": document})
        if result.rowcount != len(group):  # type: ignore[attr-defined]
            # Some were there: the keys whose rows this transaction did not write.
            mine = await _written(session, table, [c.key for c in group])
            existing.update(c.key for c in group if c.key not in mine)
    return existing


async def _written(session: AsyncSession, table: str, keys: Collection[Key]) -> set[Key]:
    rows = await session.execute(_MINE_IN[table], _keys(keys))
    return {(shop, event_id) for shop, event_id in rows}


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


def _row(candidate: Candidate) -> tuple[object, ...]:
    record = candidate.record
    return (
        orjson.Fragment(candidate.raw),
        candidate.parsed.occurred,
        record.topic,
        record.partition,
        record.offset,
    )
