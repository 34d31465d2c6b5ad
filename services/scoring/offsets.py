"""Consumer positions stored in Postgres, in the same transaction as the results.

Kafka's own committed offsets are never the source of truth: a batch's results and its
next offsets commit together or not at all, which makes the effect exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import TopicPartition

from services.scoring.repository import Pg
from shared.logging import get_logger

log = get_logger(__name__)


async def load_offsets(
    *, pg: Pg, group_id: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    wanted = set(partitions)
    if not wanted:
        return {}
    cur = await pg.execute(
        "SELECT topic, partition, next_offset FROM consumer_offsets "
        "WHERE group_id = %s AND topic = ANY(%s)",
        (group_id, sorted({tp.topic for tp in wanted})),
    )
    found = {TopicPartition(t, p): int(o) for t, p, o in await cur.fetchall()}
    return {tp: offset for tp, offset in found.items() if tp in wanted}


async def store_offsets(*, pg: Pg, group_id: str, positions: dict[TopicPartition, int]) -> None:
    if not positions:
        return
    tps = sorted(positions, key=lambda tp: (tp.topic, tp.partition))
    await pg.execute(
        """
        INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, updated_at)
        SELECT %s, t, p, o, now() FROM unnest(%b::text[], %b::int[], %b::bigint[]) AS x(t, p, o)
        ON CONFLICT (group_id, topic, partition) DO UPDATE SET
            next_offset = excluded.next_offset, updated_at = excluded.updated_at
        """,
        (
            group_id,
            [tp.topic for tp in tps],
            [tp.partition for tp in tps],
            [positions[tp] for tp in tps],
        ),
    )
