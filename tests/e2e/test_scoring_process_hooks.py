"""The scoring process wires its after-batch hooks at start-up: a real `python -m
services.scoring` judges the shops' alert rules in its batches (scoring imports no alert
code itself; its entry point hands the worker `evaluate_after_batch`)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.schema import alert_rules, webhook_events
from shared.settings import Settings
from tests.scoring.procs import make_events, spawn, stop
from tests.scoring.stream import wait_caught_up


async def test_the_scoring_process_evaluates_alert_rules(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    events = await make_events(engine, settings, 400, seed=211)
    shops = sorted({e["shop_id"] for e in events})
    # A rule every shop with any consultation breaches: consultations >= 0 over 7 days.
    async with engine.begin() as conn:
        await conn.execute(
            insert(alert_rules),
            [
                {
                    "shop_id": shop,
                    "rule_id": "always",
                    "scope": "shop",
                    "metric": "consultations",
                    "comparison": "gte",
                    "threshold": 0,
                    "time_window": "last_7_days",
                }
                for shop in shops
            ],
        )
    group = f"hooks-{uuid.uuid4().hex[:6]}"
    log = tmp_path / "scoring.log"
    proc = spawn(settings, group, log, SCORING_PARTITIONS="0,1,2,3")
    try:
        await wait_caught_up(
            engine,
            settings,
            group,
            limit=120,
            check=lambda: proc.poll() is None or pytest.fail(log.read_text()[-3000:]),
        )
    finally:
        assert stop(proc) == 0, log.read_text()[-3000:]
    async with engine.connect() as conn:
        breached = (
            await conn.execute(
                select(webhook_events.c.shop_id).where(
                    webhook_events.c.type == "alert.breached",
                    webhook_events.c.shop_id.in_(shops),
                )
            )
        ).scalars()
        assert sorted(breached) == shops  # once per shop: edge-triggered
