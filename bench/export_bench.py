"""Export bench: a year of daily metrics for 500 agents (182 500 rows) as CSV and XLSX.

The API runs under uvicorn in a process of its own (as bench/api_bench.py starts it), so
its memory is measured alone: before each export its peak RSS is reset to the current
RSS (/proc/PID/clear_refs), and after it the peak (VmHWM) less that is the growth the
export caused. rows/s is the rows over the time from the request to the last byte,
read by a streaming client in this process; the API process's CPU seconds are reported
beside it (less dependent on the shared machine's load than the wall time). Targets:
≥ 50 000 rows/s CSV, ≥ 20 000 rows/s XLSX, RSS growth ≤ 100 MB.

`python -m bench.export_bench` runs it alone and prints the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

import httpx
import psycopg

from bench.infra import database_and_broker
from domain.parts import AgentDayParts
from services.api.auth.keys import generate_key, hash_key, new_key_id, visible_prefix
from shared import migrate
from shared.db import libpq_conninfo
from shared.embedded import free_port, wait_for_port

if TYPE_CHECKING:
    from bench.table import Table

SHOP = "bench-export-shop"
AGENTS = int(os.environ.get("EXPORT_BENCH_AGENTS", "500"))
DAYS = 365
FIRST_DAY = date(2025, 11, 1)
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def _fill(database_url: str) -> str:
    """AGENTS agents × DAYS days of agent_daily rows (COPY); returns an API key."""
    rng = random.Random(11)
    key = generate_key()
    money = AgentDayParts.DECIMAL_FIELDS
    columns = ["shop_id", "agent_id", "day", *AgentDayParts.FIELDS]
    with psycopg.connect(libpq_conninfo(database_url)) as conn:
        for table in ("agent_daily", "agents", "api_keys", "shops"):
            conn.execute(f"DELETE FROM {table} WHERE shop_id = %s", (SHOP,))
        conn.execute("INSERT INTO shops (shop_id, name) VALUES (%s, 'bench')", (SHOP,))
        conn.execute(
            "INSERT INTO api_keys (shop_id, key_id, name, prefix, key_hash) "
            "VALUES (%s, %s, 'bench', %s, %s)",
            (SHOP, new_key_id(), visible_prefix(key), hash_key(key)),
        )
        with conn.cursor().copy(f"COPY agent_daily ({', '.join(columns)}) FROM STDIN") as copy:
            for a in range(AGENTS):
                for d in range(DAYS):
                    values = [
                        f"{rng.randint(0, 10**6) / 100:.2f}" if f in money else rng.randint(0, 500)
                        for f in AgentDayParts.FIELDS
                    ]
                    copy.write_row([SHOP, f"agent-{a:03d}", FIRST_DAY + timedelta(days=d), *values])
    with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as conn:
        conn.execute("ANALYZE agent_daily")
    return key


def _rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def _reset_peak(pid: int) -> bool:
    """Peak RSS := current RSS (Linux ≥ 4.0); False when the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _export(url: str, headers: dict[str, str], pid: int) -> dict[str, float]:
    reset = _reset_peak(pid)
    before = _rss_kb(pid, "VmRSS")
    cpu = _cpu_seconds(pid)
    size = lines = 0
    start = time.perf_counter()
    with httpx.stream("GET", url, headers=headers, timeout=1800) as r:
        r.raise_for_status()
        for chunk in r.iter_raw(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    peak = _rss_kb(pid, "VmHWM")
    return {
        "seconds": elapsed,
        "api_cpu_seconds": _cpu_seconds(pid) - cpu,
        "bytes": size,
        "lines": lines,
        "rss_growth_mb": (peak - before) / 1024 if reset else float("nan"),
    }


def run(database_url: str, bootstrap: str) -> dict[str, Any]:
    migrate.upgrade(database_url)
    started = time.perf_counter()
    key = _fill(database_url)
    fill_seconds = time.perf_counter() - started
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_PORT": str(port),
        "API_HOST": "127.0.0.1",
        "ADMIN_TOKEN": secrets.token_urlsafe(24),
        "LOG_LEVEL": "WARNING",
    }
    env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap  # checked at start; exports do not use it
    server = subprocess.Popen([sys.executable, "-m", "services.api"], env=env)
    auth = {"Authorization": f"Bearer {key}"}
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    base = f"http://127.0.0.1:{port}/v1/metrics?granularity=day&group_by=agent"
    result: dict[str, Any] = {"rows": AGENTS * DAYS, "fill_seconds": round(fill_seconds, 1)}
    try:
        wait_for_port(port, "127.0.0.1", 120.0)
        for fmt in ("csv", "xlsx"):  # warm: modules imported, pools open
            _export(f"{base}&from={FIRST_DAY}&to={FIRST_DAY}&format={fmt}", auth, server.pid)
        result["rss_idle_mb"] = round(_rss_kb(server.pid, "VmRSS") / 1024, 1)
        for fmt in ("csv", "xlsx"):
            url = f"{base}&from={FIRST_DAY}&to={last}&format={fmt}"
            runs = []
            for _ in range(REPEATS):
                runs.append(_export(url, auth, server.pid))
                print(f"  export {fmt}: {runs[-1]}", file=sys.stderr, flush=True)
            if fmt == "csv":
                assert all(r["lines"] == AGENTS * DAYS + 1 for r in runs), runs
            result[f"{fmt}_rows_per_s"] = round(AGENTS * DAYS / median(r["seconds"] for r in runs))
            result[f"{fmt}_seconds"] = round(median(r["seconds"] for r in runs), 2)
            result[f"{fmt}_api_cpu_seconds"] = round(median(r["api_cpu_seconds"] for r in runs), 2)
            result[f"{fmt}_mb"] = round(runs[0]["bytes"] / 1e6, 1)
            result[f"{fmt}_rss_growth_mb"] = round(max(r["rss_growth_mb"] for r in runs), 1)
    finally:
        server.terminate()
        server.wait(timeout=15)
    return result


async def rows(table: Table, context: dict[str, Any]) -> None:
    """The harness's rows (bench/__main__.py)."""
    r = await asyncio.to_thread(run, context["database_url"], context["bootstrap"])
    for fmt, target in (("csv", 50_000), ("xlsx", 20_000)):
        name = f"API export {AGENTS} agents × {DAYS} days daily metrics, {fmt.upper()}"
        table.add(
            name,
            r[f"{fmt}_rows_per_s"],
            "rows/s",
            f"{r['rows']:,} rows, {r[f'{fmt}_mb']} MB in {r[f'{fmt}_seconds']} s (API CPU "
            f"{r[f'{fmt}_api_cpu_seconds']} s); target ≥ {target:,}",
        )
        table.add(
            f"API export {fmt.upper()}: peak RSS growth",
            r[f"{fmt}_rss_growth_mb"],
            "MB",
            f"the API process (idle {r['rss_idle_mb']} MB), worst of {REPEATS}; target ≤ 100",
        )


def main() -> None:
    """Alone: an embedded Postgres and broker unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS."""
    with database_and_broker("kefu-export-bench-") as (database_url, bootstrap):
        print(json.dumps(run(database_url, bootstrap), indent=2))


if __name__ == "__main__":
    main()
