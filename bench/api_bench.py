"""API bench: /v1/metrics (a month, group_by=agent, 200 agents) against /healthz.

The API runs under uvicorn in a subprocess; the load comes from another process
(bench/api_load.py) at concurrency 32. Targets: metrics ≥ 40 % of healthz rps, p99 ≤ 50 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import create_async_engine

from services.api.auth.keys import generate_key, hash_key, new_key_id, visible_prefix
from shared import migrate
from shared.embedded import free_port, wait_for_port
from shared.schema import AGENT_DAY_COUNTS, agent_daily, agents, api_keys, shops

SHOP = "bench-api-shop"
AGENTS, DAYS = 200, 31
FIRST_DAY = date(2026, 10, 1)
CONCURRENCY = 32
SECONDS = float(os.environ.get("API_BENCH_SECONDS", "8"))


async def _fill(database_url: str) -> str:
    """A shop with AGENTS agents × DAYS days of rollups; returns an API key of it."""
    rng = random.Random(7)
    engine = create_async_engine(database_url)
    key = generate_key()
    try:
        async with engine.begin() as conn:
            for table in (agent_daily, agents, api_keys, shops):
                await conn.execute(delete(table).where(table.c.shop_id == SHOP))
            await conn.execute(insert(shops).values(shop_id=SHOP, name="bench"))
            await conn.execute(
                insert(api_keys).values(
                    shop_id=SHOP,
                    key_id=new_key_id(),
                    name="bench",
                    prefix=visible_prefix(key),
                    key_hash=hash_key(key),
                )
            )
            ids = [f"agent-{i:03d}" for i in range(AGENTS)]
            await conn.execute(
                insert(agents),
                [
                    {
                        "shop_id": SHOP,
                        "agent_id": a,
                        "display_name": None,
                        "group_name": f"g{i % 4}",
                        "mentor_id": None,
                    }
                    for i, a in enumerate(ids)
                ],
            )
            rows = [
                {
                    "shop_id": SHOP,
                    "agent_id": a,
                    "day": FIRST_DAY + timedelta(days=d),
                    **{c: rng.randint(0, 500) for c in AGENT_DAY_COUNTS},
                    "sales_amount": Decimal(rng.randint(0, 10**6)) / 100,
                    "refund_amount": Decimal(rng.randint(0, 10**4)) / 100,
                }
                for a in ids
                for d in range(DAYS)
            ]
            await conn.execute(insert(agent_daily), rows)
    finally:
        await engine.dispose()
    return key


def _load(url: str, headers: dict[str, str]) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.api_load",
        url,
        "--concurrency",
        str(CONCURRENCY),
        "--seconds",
        str(SECONDS),
    ]
    for name, value in headers.items():
        cmd += ["--header", f"{name}: {value}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)
    return dict(json.loads(out.stdout))


async def run(database_url: str) -> dict[str, Any]:
    migrate.upgrade(database_url)
    key = await _fill(database_url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_PORT": str(port),
        "API_HOST": "127.0.0.1",
        "ADMIN_TOKEN": secrets.token_urlsafe(24),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)  # the API serves without a broker
    server = subprocess.Popen([sys.executable, "-m", "services.api"], env=env)  # noqa: ASYNC220
    try:
        await asyncio.to_thread(wait_for_port, port, "127.0.0.1", 30.0)
        base = f"http://127.0.0.1:{port}"
        last = FIRST_DAY + timedelta(days=DAYS - 1)
        metrics_url = (
            f"{base}/v1/metrics?from={FIRST_DAY}&to={last}&granularity=month&group_by=agent"
        )
        healthz = await asyncio.to_thread(_load, f"{base}/healthz", {})
        metrics = await asyncio.to_thread(_load, metrics_url, {"Authorization": f"Bearer {key}"})
    finally:
        server.terminate()
        server.wait(timeout=15)
    return {
        "healthz_rps": round(healthz["rps"], 1),
        "healthz_p50_ms": round(healthz["p50_ms"], 2),
        "healthz_p99_ms": round(healthz["p99_ms"], 2),
        "metrics_rps": round(metrics["rps"], 1),
        "metrics_p50_ms": round(metrics["p50_ms"], 2),
        "metrics_p99_ms": round(metrics["p99_ms"], 2),
        "metrics_to_healthz_rps": round(metrics["rps"] / healthz["rps"], 3),
        "errors": healthz["errors"] + metrics["errors"],
        "targets_met": metrics["rps"] >= 0.4 * healthz["rps"] and metrics["p99_ms"] <= 50,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1])), indent=2))
