"""Consumer positions stored in Postgres, in the same transaction as the results.

Kafka's own committed offsets are never the source of truth: a batch's results and its
next offsets commit together or not at all, which makes the effect exactly once. Each
position carries the id of the log it was read from (shared/kafka_logs.py): a position is
resumed only in that log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from aiokafka import TopicPartition

from services.scoring.repository import Pg


class Stored(NamedTuple):
    offset: int
    log_id: str | None  # None: stored before positions carried their log


async def load_offsets(
    *, pg: Pg, group_id: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, Stored]:
    wanted = set(partitions)
    if not wanted:
        return {}
    cur = await pg.execute(
        "SELECT topic, partition, next_offset, log_id FROM consumer_offsets "
        "WHERE group_id = %s AND topic = ANY(%s)",
        (group_id, sorted({tp.topic for tp in wanted})),
    )
    found = {TopicPartition(t, p): Stored(int(o), log) for t, p, o, log in await cur.fetchall()}
    return {tp: stored for tp, stored in found.items() if tp in wanted}


async def store_offsets(
    *,
    pg: Pg,
    group_id: str,
    positions: dict[TopicPartition, int],
    logs: Mapping[TopicPartition, str | None] | None = None,
) -> None:
    """Upsert the positions, each with the id of the log it was read from (`logs`; None
    where the broker gives no id)."""
    if not positions:
        return
    logs = logs or {}
    tps = sorted(positions, key=lambda tp: (tp.topic, tp.partition))
    await pg.execute(
        """
        INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, log_id, updated_at)
        SELECT %s, t, p, o, l, now()
        FROM unnest(%b::text[], %b::int[], %b::bigint[], %b::text[]) AS x(t, p, o, l)
        ON CONFLICT (group_id, topic, partition) DO UPDATE SET
            next_offset = excluded.next_offset, log_id = excluded.log_id,
            updated_at = excluded.updated_at
        """,
        (
            group_id,
            [tp.topic for tp in tps],
            [tp.partition for tp in tps],
            [positions[tp] for tp in tps],
            [logs.get(tp) for tp in tps],
        ),
    )
