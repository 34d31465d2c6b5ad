"""Consumer positions stored in Postgres, in the same transaction as the results.

Kafka's own committed offsets are never the source of truth: a batch's results and its
next offsets commit together or not at all, which makes the effect exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

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


async def log_ends(
    bootstrap: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """The true end of each partition's log.

    Tansu answers ListOffsets(latest) with the base offset of the last record batch, not
    the offset after its last record, so `end_offsets` alone is too low. A fetch from that
    point returns the real high watermark, which this takes when it is greater.
    """
    tps = list(partitions)
    if not tps:
        return {}
    probe = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=64 * 1024
    )
    await probe.start()
    try:
        reported = {tp: int(o) for tp, o in (await probe.end_offsets(tps)).items()}
        probe.assign(tps)
        for tp in tps:
            probe.seek(tp, max(reported.get(tp, 0) - 1, 0))
        ends = dict(reported)
        waiting = {tp for tp in tps if reported.get(tp, 0) > 0}
        deadline = asyncio.get_running_loop().time() + 5.0
        while waiting and asyncio.get_running_loop().time() < deadline:
            await probe.getmany(*waiting, timeout_ms=200)
            for tp in list(waiting):
                high = probe.highwater(tp)
                if high is not None:
                    ends[tp] = max(ends.get(tp, 0), int(high))
                    waiting.discard(tp)
        return ends
    finally:
        await probe.stop()


async def seek_stored(
    consumer: AIOKafkaConsumer,
    bootstrap: str,
    stored: dict[TopicPartition, int],
    assigned: Iterable[TopicPartition],
) -> None:
    """Seek every assigned partition to its stored position, or to the beginning when there
    is none or the log ends before it (a broker restarted empty), with a warning."""
    ends = await log_ends(bootstrap, [tp for tp in stored])
    restart: list[TopicPartition] = [tp for tp in assigned if tp not in stored]
    for tp, offset in stored.items():
        if offset > ends.get(tp, 0):
            log.warning(
                "stored_offset_past_log_end",
                topic=tp.topic,
                partition=tp.partition,
                stored=offset,
                log_end=ends.get(tp),
            )
            restart.append(tp)
        else:
            consumer.seek(tp, offset)
    if restart:
        await consumer.seek_to_beginning(*restart)
