"""Console bench: server time of the team page (/console) for 200 agents over a month.

The app runs in this process behind httpx's ASGI transport (no network): the time from
the request to the last byte of the page is the server's. Uncached: the shop's
rollup_version is bumped before each request (as a scoring batch does), so the page
reads the rollups again (the month per agent, the shop row, 14 days of conversion per
agent, and the response-time percentiles of both: each agent-day holds a busy day's
response times, as in bench/api_bench.py) besides the targets and the rendering; cached:
the same page again, its numbers from the console's cache (services/api/console/cache.py).
Target: p95 ≤ 150 ms uncached.

`python -m bench.console_bench` runs it alone and prints the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import psycopg

from bench.api_bench import FIRST_PER_DAY, RESPONSES_PER_DAY
from bench.infra import database_and_broker
from domain.parts import AgentDayParts
from domain.spread import encode
from services.api.app import create_app
from services.api.console.passwords import hash_password
from shared import migrate
from shared.db import libpq_conninfo
from shared.settings import Settings

if TYPE_CHECKING:
    from bench.table import Table

SHOP = "bench-console-shop"
AGENTS = int(os.environ.get("CONSOLE_BENCH_AGENTS", "200"))
FIRST_DAY, DAYS = date(2026, 11, 1), 30
REQUESTS = int(os.environ.get("CONSOLE_BENCH_REQUESTS", "60"))
EMAIL, PASSWORD = "bench-manager@example.com", "bench passphrase"


def _fill(database_url: str) -> None:
    rng = random.Random(7)
    money = AgentDayParts.DECIMAL_FIELDS
    columns = ["shop_id", "agent_id", "day", *AgentDayParts.FIELDS]
    with psycopg.connect(libpq_conninfo(database_url)) as conn:
        for table in ("agent_daily", "agent_responses", "agents", "console_users", "shops"):
            conn.execute(f"DELETE FROM {table} WHERE shop_id = %s", (SHOP,))
        conn.execute("INSERT INTO shops (shop_id, name) VALUES (%s, 'bench')", (SHOP,))
        conn.execute(
            "INSERT INTO console_users (shop_id, user_id, email, display_name, role, "
            "password_hash) VALUES (%s, 'u1', %s, 'bench', 'manager', %s)",
            (SHOP, EMAIL, hash_password(PASSWORD)),
        )
        with conn.cursor().copy("COPY agents (shop_id, agent_id, group_name) FROM STDIN") as copy:
            for a in range(AGENTS):
                copy.write_row([SHOP, f"agent-{a:03d}", f"group-{a % 8}"])
        with conn.cursor().copy(f"COPY agent_daily ({', '.join(columns)}) FROM STDIN") as copy:
            for a in range(AGENTS):
                for d in range(DAYS):
                    values = [
                        f"{rng.randint(0, 10**6) / 100:.2f}" if f in money else rng.randint(0, 500)
                        for f in AgentDayParts.FIELDS
                    ]
                    copy.write_row([SHOP, f"agent-{a:03d}", FIRST_DAY + timedelta(days=d), *values])
        runs = "COPY agent_responses (shop_id, agent_id, day, response_us, first_response_us)"
        with conn.cursor().copy(f"{runs} FROM STDIN") as copy:
            for a in range(AGENTS):
                for d in range(DAYS):
                    day = FIRST_DAY + timedelta(days=d)
                    copy.write_row(
                        [
                            SHOP,
                            f"agent-{a:03d}",
                            day,
                            _run(rng, RESPONSES_PER_DAY),
                            _run(rng, FIRST_PER_DAY),
                        ]
                    )
    with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as conn:
        conn.execute("ANALYZE agent_daily")
        conn.execute("ANALYZE agent_responses")


def _run(rng: random.Random, n: int) -> bytes:
    """A stored run of n response times (µs), whole seconds mostly (as bench/api_bench)."""
    values = [
        rng.randint(0, 120) * 1_000_000 if rng.random() < 0.7 else rng.randint(0, 600_000_000)
        for _ in range(n)
    ]
    return encode(sorted(values))


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def _measure(database_url: str, bootstrap: str) -> dict[str, Any]:
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        admin_token="bench-admin-token-0123456789",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            form = await client.get("/console/sign-in")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert token is not None
            signed = await client.post(
                "/console/sign-in",
                data={"email": EMAIL, "password": PASSWORD, "csrf": token.group(1)},
            )
            assert signed.status_code == 303, signed.text
            out: dict[str, Any] = {"agents": AGENTS, "days": DAYS}
            for kind in ("uncached", "cached"):
                samples = await _samples(client, database_url, bump=kind == "uncached")
                out[kind] = {
                    "requests": len(samples),
                    "p50_ms": round(sorted(samples)[len(samples) // 2], 1),
                    "p95_ms": round(_p95(samples), 1),
                }
    return out


async def _samples(client: httpx.AsyncClient, database_url: str, *, bump: bool) -> list[float]:
    params = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
    samples = []
    with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as conn:
        for i in range(REQUESTS + 5):
            if bump:
                conn.execute(
                    "UPDATE shops SET rollup_version = rollup_version + 1 WHERE shop_id = %s",
                    (SHOP,),
                )
            started = time.perf_counter()
            page = await client.get("/console", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            assert page.status_code == 200 and page.text.count("<tr data-agent=") == AGENTS
            if i >= 5:  # warm-up: statement cache, connection pool
                samples.append(elapsed)
    return samples


def run(database_url: str, bootstrap: str) -> dict[str, Any]:
    migrate.upgrade(database_url)
    _fill(database_url)
    return asyncio.run(_measure(database_url, bootstrap))


async def rows(table: Table, context: dict[str, Any]) -> None:
    r = await asyncio.to_thread(run, context["database_url"], context["bootstrap"])
    for kind, note in (
        ("uncached", "rollup_version bumped before each request; target ≤ 150"),
        ("cached", "numbers from the console's cache; targets, names and rendering not"),
    ):
        k = r[kind]
        table.add(
            f"console team page {kind}, {r['agents']} agents × {r['days']} days (server p95)",
            k["p95_ms"],
            "ms",
            f"{note}; p50 {k['p50_ms']} ms, {k['requests']} requests",
        )


def main() -> None:
    """Alone: an embedded Postgres and broker unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS."""
    with database_and_broker("kefu-console-bench-") as (database_url, bootstrap):
        print(json.dumps(run(database_url, bootstrap), indent=2))


if __name__ == "__main__":
    main()
    sys.exit(0)
