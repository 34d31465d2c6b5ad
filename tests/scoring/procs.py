"""Helpers for the tests that run real `python -m services.scoring` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.repository import driver
from shared.settings import Settings
from shared.simulator import SimConfig, generate
from tests.scoring.stream import (
    expected_facts,
    expected_rollups,
    ingest,
    read_facts,
    read_rollups,
    register_shop,
    stored_offsets,
)

ROOT = Path(__file__).resolve().parents[2]
SHOPS = 5


def spawn(settings: Settings, group: str, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.require_database_url(),
        "KAFKA_BOOTSTRAP_SERVERS": settings.require_kafka(),
        "SCORING_METRICS_PORT": "0",
        "SCORING_GROUP_ID": group,
        "SCORING_RESCORE": "0",
        "SCORING_MAX_RECORDS": "400",
        "SCORING_SESSION_TIMEOUT_MS": "6000",
        "SCORING_REBALANCE_TIMEOUT_MS": "3000",
        "SCORING_HEARTBEAT_MS": "500",
        **extra,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.scoring"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def make_events(
    engine: AsyncEngine, settings: Settings, n: int, seed: int, *, ingest_now: bool = True
) -> list[dict[str, Any]]:
    """n simulator events over SHOPS shops of their own (several partitions), with late
    events and re-sent duplicates, ingested in the simulator's emission order (unless the
    caller ingests them itself)."""
    shop_ids = tuple(f"shop-{seed}-{i}" for i in range(SHOPS))
    for shop in shop_ids:
        await register_shop(engine, shop)
    config = SimConfig(
        seed=seed,
        shop_ids=shop_ids,
        agents_per_shop=6,
        buyers_per_shop=800,
        arrivals_per_hour=120,
        late_fraction=0.05,
        duplicate_fraction=0.02,
        id_prefix=f"s{seed}-",
    )
    stream = [ev.event for ev in generate(config, count=n) if ev.invalid_reason is None]
    if ingest_now:
        await ingest(engine, settings, stream)
    return stream


async def progress(engine: AsyncEngine, group: str) -> int:
    return sum((await stored_offsets(engine, group)).values())


async def assert_matches_batch(engine: AsyncEngine, events: list[dict[str, Any]]) -> None:
    for shop in sorted({e["shop_id"] for e in events}):
        facts, want_facts = await read_facts(engine, shop), expected_facts(events, shop)
        if facts != want_facts:
            extra = {k: sorted(facts[k] - want_facts[k], key=str) for k in facts}
            missing = {k: sorted(want_facts[k] - facts[k], key=str) for k in facts}
            buyers = sorted({r[0] for rows in extra.values() for r in rows})
            async with engine.connect() as conn:
                pg = await driver(conn)
                cur = await pg.execute(
                    "SELECT buyer_id, wake_at, derived_at FROM buyer_state"
                    " WHERE shop_id = %s AND buyer_id = ANY(%s)",
                    (shop, buyers),
                )
                states = await cur.fetchall()
                cur = await pg.execute("SELECT watermark FROM shops WHERE shop_id = %s", (shop,))
                mark = await cur.fetchall()
                await conn.rollback()
            raise AssertionError((extra, missing, states, mark))
        got, want = await read_rollups(engine, shop), expected_rollups(events, shop)
        assert got == want, (shop, _differences(got[0], want[0]), _differences(got[1], want[1]))
        assert await read_facts(engine, shop) == expected_facts(events, shop), shop


def _differences(got: dict[Any, Any], want: dict[Any, Any]) -> list[Any]:
    """Per differing row, the fields that differ: (key, field, got, want)."""
    found: list[Any] = []
    for key in sorted(got.keys() | want.keys()):
        a, b = got.get(key), want.get(key)
        if a == b:
            continue
        if a is None or b is None:
            found.append((key, a, b))
            continue
        found += [
            (key, f, getattr(a, f), getattr(b, f))
            for f in a.FIELDS
            if getattr(a, f) != getattr(b, f)
        ]
    return found


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=30)
