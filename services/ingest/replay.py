"""Replay dead letters: re-produce their original bytes to their original topic.

Used by the admin API once the cause is fixed (typically: the shop is now registered).
Ingest then processes the replayed events like any new ones; an event replayed twice is
a plain duplicate there. No commit here: the caller commits, after this returns, the
rows marked replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.ingest.forward import OutMessage, produce_all

_PENDING = text(
    """
    SELECT id, raw, src_topic, src_partition, src_offset
    FROM dead_letters
    WHERE shop_id = :shop_id AND reason = ANY(CAST(:reasons AS text[]))
      AND replayed_at IS NULL
      AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[])))
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)

_MARK = text(
    """
    UPDATE dead_letters SET replayed_at = now(), replay_result = r.result
    FROM unnest(CAST(:ids AS bigint[]), CAST(:results AS text[])) AS r(id, result)
    WHERE dead_letters.shop_id = :shop_id AND dead_letters.id = r.id
    """
)


@dataclass(frozen=True)
class ReplayResult:
    replayed: int  # re-produced to their topic
    skipped: int  # nothing to re-produce (the original message had no value)
    ids: list[int] = field(default_factory=list)  # every dead letter marked


async def replay_dead_letters(
    *,
    session: AsyncSession | AsyncConnection,
    producer: AIOKafkaProducer,
    shop_id: str,
    reasons: Sequence[str] = ("unknown_shop",),
    ids: Sequence[int] | None = None,
    limit: int = 10_000,
) -> ReplayResult:
    """Re-produce the shop's unreplayed dead letters with these reasons (and ids, if given).

    Every message is acknowledged by the broker before the rows are marked; rows locked by
    a concurrent replay are skipped, so two replays never send the same letter twice.
    """
    rows = (
        await session.execute(
            _PENDING,
            {
                "shop_id": shop_id,
                "reasons": list(reasons),
                "ids": list(ids) if ids is not None else None,
                "limit": limit,
            },
        )
    ).all()
    messages: list[OutMessage] = []
    marked: list[int] = []
    results: list[str] = []
    for letter_id, raw, topic, partition, offset in rows:
        marked.append(letter_id)
        if not raw:
            results.append("skipped: the original message had no value")
            continue
        headers = [
            ("replay_of", str(letter_id).encode()),
            ("replay_src", f"{topic}/{partition}@{offset}".encode()),
        ]
        messages.append(OutMessage(topic, shop_id.encode(), bytes(raw), headers))
        results.append(f"produced to {topic}")
    await produce_all(producer, messages)
    if marked:
        await session.execute(_MARK, {"ids": marked, "results": results, "shop_id": shop_id})
    return ReplayResult(replayed=len(messages), skipped=len(marked) - len(messages), ids=marked)
