"""A batch whose pipeline fails part-way (one chunk's writes, after earlier chunks were
written) commits nothing: no rollups, no facts, no offsets. Retried, the same batch gives
the batch recomputation."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import rederive
from services.scoring.batch_processor import process_records
from tests.scoring.stream import (
    expected_facts,
    expected_rollups,
    generate,
    read_facts,
    read_rollups,
    register_shop,
    store_raw,
    stored_offsets,
)

TP = TopicPartition("cs.events.v1", 0)


def _records(events: list[dict[str, Any]]) -> dict[TopicPartition, list[ConsumerRecord]]:  # type: ignore[type-arg]
    return {
        TP: [
            ConsumerRecord(TP.topic, 0, i, 0, 0, b"k", orjson.dumps(e), None, 0, 0, [])
            for i, e in enumerate(events)
        ]
    }


async def _process(engine: AsyncEngine, group: str, records: dict[Any, Any]) -> None:
    async with engine.connect() as reader, engine.begin() as conn:
        await process_records(conn=conn, group_id=group, records=records, reader=reader)


async def test_a_failing_chunk_write_rolls_the_whole_batch_back(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rederive, "CHUNK_BUYERS", 5)  # 40 buyers: 8 chunks
    real_write = rederive._write
    writes: list[int] = []

    async def third_write_fails(*args: Any, **kwargs: Any) -> None:
        writes.append(len(writes) + 1)
        if len(writes) == 3:
            raise RuntimeError("injected: the third chunk's writes fail")
        await real_write(*args, **kwargs)

    monkeypatch.setattr(rederive, "_write", third_write_fails)
    shop, group = "shop-pipeline-fault", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    events = generate(31, shop, 1200, buyers=40, agents=3)
    await store_raw(engine, events)
    records = _records(events)
    with pytest.raises(Exception, match="injected"):
        await _process(engine, group, records)
    assert writes == [1, 2, 3]  # two chunks were written in the transaction first
    assert await read_rollups(engine, shop) == ({}, {})
    assert not any((await read_facts(engine, shop)).values())
    assert await stored_offsets(engine, group) == {}
    await _process(engine, group, records)  # the retry: the fault is not injected again
    assert await read_rollups(engine, shop) == expected_rollups(events, shop)
    assert await read_facts(engine, shop) == expected_facts(events, shop)
