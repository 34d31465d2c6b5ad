"""After-batch hooks (services/scoring/hooks.py): given to the worker at start-up, run for
every shop of a batch inside its transaction, after the rollups are written; a failing
hook rolls the whole batch back. Scoring never imports the services that hook in."""

from __future__ import annotations

import ast
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.violations import ViolationReport
from services.scoring.batch_processor import process_records
from tests.scoring.stream import (
    expected_rollups,
    generate,
    read_rollups,
    register_shop,
    store_raw,
    stored_offsets,
)

TP = TopicPartition("cs.events.v1", 0)
SCORING = Path(__file__).parents[2] / "services" / "scoring"


def _records(events: list[dict[str, Any]]) -> dict[TopicPartition, list[ConsumerRecord]]:  # type: ignore[type-arg]
    return {
        TP: [
            ConsumerRecord(TP.topic, 0, i, 0, 0, b"k", orjson.dumps(e), None, 0, 0, [])
            for i, e in enumerate(events)
        ]
    }


class Recorder:
    """A hook that sees, in the batch's transaction, the agent_daily rows just written."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[str, int, int]] = []

    async def __call__(
        self,
        *,
        session: AsyncConnection,
        shop_id: str,
        changed_agent_days: set[tuple[str, date]],
        violations: ViolationReport,
        now: datetime,
        review_notices: Iterable[object] = (),
    ) -> None:
        assert now.tzinfo is not None
        rows = await session.scalar(
            text("SELECT count(*) FROM agent_daily WHERE shop_id = :s"), {"s": shop_id}
        )
        self.calls.append((shop_id, len(changed_agent_days), int(rows or 0)))
        if self.fail:
            raise RuntimeError("injected: the hook fails")


async def test_hooks_run_in_the_batch_transaction(engine: AsyncEngine) -> None:
    shop, group = "shop-hooks", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop)
    events = generate(7, shop, 300, buyers=12, agents=3)
    await store_raw(engine, events)
    failing, first, second = Recorder(fail=True), Recorder(), Recorder()
    with pytest.raises(RuntimeError, match="injected"):
        async with engine.begin() as conn:
            await process_records(
                conn=conn, group_id=group, records=_records(events), after_batch=[failing]
            )
    # The hook saw the batch's rows, and its failure took them back with the offsets.
    ((_, changed, seen),) = failing.calls
    assert changed > 0 and seen > 0
    assert await read_rollups(engine, shop) == ({}, {})
    assert await stored_offsets(engine, group) == {}
    async with engine.begin() as conn:
        await process_records(
            conn=conn, group_id=group, records=_records(events), after_batch=[first, second]
        )
    assert first.calls == second.calls == failing.calls  # each hook, once per shop, in order
    assert await read_rollups(engine, shop) == expected_rollups(events, shop)


def test_scoring_imports_no_service_that_hooks_in() -> None:
    """The dependency runs one way: only the process entry point wires alerts in."""
    for module in SCORING.rglob("*.py"):
        if module.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not name.startswith(("services.alerts", "services.webhooks")), module
                assert not name.startswith("services.api"), module
