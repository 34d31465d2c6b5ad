"""Measuring the pipeline: lag per consumer group, ingest throughput, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import topics
from shared.kafka import log_end_offsets
from shared.schema import consumer_offsets, dead_letters

from ..exceptions import ServiceUnavailable
from ..kafka import CONNECT_TIMEOUT_S, KafkaLink
from .schemas import PipelineHealth

INGEST_GROUP = "kefu-ingest"
_RECENT = text(
    "SELECT (SELECT count(*) FROM chat_messages WHERE ingested_at > now() - interval '1 minute')"
    " + (SELECT count(*) FROM order_events WHERE ingested_at > now() - interval '1 minute')"
    " + (SELECT count(*) FROM review_events WHERE ingested_at > now() - interval '1 minute')"
)


def lag_rows(
    committed: Mapping[TopicPartition, int | None], ends: Mapping[TopicPartition, int]
) -> list[dict[str, Any]]:
    """Per partition: end − committed (everything, when nothing was committed yet)."""
    return [
        {
            "topic": tp.topic,
            "partition": tp.partition,
            "committed": committed.get(tp),
            "end": end,
            "lag": max(end - (committed.get(tp) or 0), 0),
        }
        for tp, end in sorted(ends.items(), key=lambda kv: (kv[0].topic, kv[0].partition))
    ]


async def _end_offsets(bootstrap: str, names: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    await asyncio.wait_for(consumer.start(), CONNECT_TIMEOUT_S)
    try:
        partitions = [
            TopicPartition(name, p)
            for name in names
            for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(name, p)
                for name in names
                for p in sorted(consumer.partitions_for_topic(name) or ())
            ]
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
    # The true ends: some brokers (Tansu) under-report ListOffsets(latest).
    return await asyncio.wait_for(log_end_offsets(bootstrap, partitions), CONNECT_TIMEOUT_S * 2)


async def _ingest_committed(
    bootstrap: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int | None]:
    """Offsets the ingest group committed in Kafka (OffsetFetch; never joins the group)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=INGEST_GROUP,
        enable_auto_commit=False,
        request_timeout_ms=5_000,
    )
    await asyncio.wait_for(consumer.start(), CONNECT_TIMEOUT_S)
    try:
        return {
            tp: await asyncio.wait_for(consumer.committed(tp), CONNECT_TIMEOUT_S)
            for tp in partitions
        }
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()


async def _scoring_committed(session: AsyncSession) -> dict[str, dict[TopicPartition, int]]:
    rows = (
        await session.execute(
            select(
                consumer_offsets.c.group_id,
                consumer_offsets.c.partition,
                consumer_offsets.c.next_offset,
            ).where(consumer_offsets.c.topic == topics.EVENTS)
        )
    ).all()
    groups: dict[str, dict[TopicPartition, int]] = {}
    for r in rows:
        groups.setdefault(r.group_id, {})[TopicPartition(topics.EVENTS, r.partition)] = (
            r.next_offset
        )
    return groups


async def _lags(session: AsyncSession, kafka: KafkaLink) -> list[dict[str, Any]]:
    assert kafka.bootstrap is not None
    ends = await _end_offsets(kafka.bootstrap, [*topics.INPUT, topics.EVENTS])
    events_ends = {tp: e for tp, e in ends.items() if tp.topic == topics.EVENTS}
    input_ends = {tp: e for tp, e in ends.items() if tp.topic in topics.INPUT}
    groups: list[dict[str, Any]] = [
        {
            "group_id": INGEST_GROUP,
            "source": "kafka",
            "partitions": lag_rows(
                await _ingest_committed(kafka.bootstrap, list(input_ends)), input_ends
            ),
        }
    ]
    for group_id, committed in sorted((await _scoring_committed(session)).items()):
        groups.append(
            {
                "group_id": group_id,
                "source": "postgres",
                "partitions": lag_rows(dict(committed), events_ends),
            }
        )
    for group in groups:
        group["total_lag"] = sum(int(p["lag"]) for p in group["partitions"])
    return groups


async def _dead_letter_counts(session: AsyncSession) -> list[dict[str, Any]]:
    d = dead_letters.c
    recent = func.count().filter(d.created_at > func.now() - text("interval '24 hours'"))
    rows = (
        await session.execute(
            select(d.reason, recent.label("last_24h"), func.count().label("total"))
            .group_by(d.reason)
            .order_by(d.reason)
        )
    ).all()
    return [r._asdict() for r in rows]


_PURGES = text(
    "SELECT DISTINCT ON (shop_id) shop_id, purged_at AS last_purged_at, before, buyers,"
    " chat_rows, order_rows, review_rows,"
    " sum(chat_rows + order_rows + review_rows) OVER (PARTITION BY shop_id) AS total_rows"
    " FROM raw_purges ORDER BY shop_id, purged_at DESC, id DESC"
)


async def _raw_purges(session: AsyncSession) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await session.execute(_PURGES)]


async def pipeline_health(*, session: AsyncSession, kafka: KafkaLink) -> PipelineHealth:
    """Broker trouble is reported in the body (this endpoint is how one finds out)."""
    groups: list[dict[str, Any]] = []
    error = None
    try:
        groups = await _lags(session, kafka)
    except ServiceUnavailable as exc:
        error = exc.detail
    except Exception as exc:  # a broker failing mid-way: say so, keep the DB figures
        error = f"{type(exc).__name__}: {exc}"
    recent = int(await session.scalar(_RECENT) or 0)
    return PipelineHealth.model_validate(
        {
            "broker_reachable": error is None,
            "broker_error": error,
            "consumer_groups": groups,
            "events_per_second": recent / 60,
            "dead_letters": await _dead_letter_counts(session),
            "raw_purges": await _raw_purges(session),
        }
    )
