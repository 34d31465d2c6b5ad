"""End to end, as a user sees it: produced → every number visible through `/v1/metrics`.

Each run starts a fresh stack the way `make run DEMO=0` does (`python -m shared.launcher`:
embedded Postgres and Tansu, migrations, ingest, scoring, API and webhooks as separate
processes), registers the simulator's shops through the admin API, and once everything is
up and idle produces the events with librdkafka (confluent-kafka, lz4 batches, acks=all).
The clock starts at the first produce; a poller reads each shop's `/v1/metrics` totals
(group_by=shop, granularity=total) every POLL_S. When `/admin/pipeline` says every
consumer group has lag 0, each shop's final answer is read; the run's time is the moment
the poller first saw every shop's final answer. Then every per-agent, per-day number
(group_by=agent, granularity=day) is read once, as the check that they are all there.

In the same run and against the same broker, a bare consumer (aiokafka, decode and
discard) reads the same input records: the row prints both rates and their ratio.

`BENCH_E2E_EVENTS` (default: the harness's events) and `BENCH_E2E_QUICK=1` (30 000
events, 1 run) for development; `python -m bench.e2e_bench [N]` runs it alone.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson

from bench.ceilings import consume_rate
from bench.table import Table, median
from bench.traffic import bench_config
from shared import topics
from shared.embedded import free_port
from shared.simulator import SimEvent, generate

POLL_S = float(os.environ.get("BENCH_E2E_POLL_S", "0.2"))  # per round of all shops
# An empty database of a server of one's own instead of the embedded one (one run: the
# shops are registered in it). Its CPU is not in cpu_us_per_event; docs/throughput.md.
EXTERNAL_DATABASE_URL = os.environ.get("BENCH_E2E_DATABASE_URL", "")
UP_TIMEOUT_S = 240.0
RUN_TIMEOUT_S = 900.0
TIMEZONE = "Asia/Shanghai"  # the simulator's shops


@dataclass
class Stack:
    """One `python -m shared.launcher` (DEMO=0) in a temporary data folder."""

    process: subprocess.Popen[str]
    api: str
    admin_token: str
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    bootstrap: str = ""
    scoring_metrics: str = ""  # its Prometheus port
    database_url: str = ""
    up: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            text = line.strip()
            if text.startswith("Kafka ") and "embedded" in text:
                self.bootstrap = text.split()[-1]
            if text.startswith("Postgres ") and "embedded" in text:
                self.database_url = text.split()[-1]
            if text.startswith("metrics ") and "scoring :" in text:
                self.scoring_metrics = text.split("scoring :")[1].split()[0]
            if text.startswith("Live logs follow"):
                self.up.set()

    def cpu_seconds(self, data_dir: str) -> dict[str, float]:
        """CPU seconds so far of each role: the services, Postgres (its postmaster names the
        data folder; backends are its children), the broker."""
        import psutil

        found: dict[int, psutil.Process] = {}
        roots = [psutil.Process(self.process.pid)]
        roots += [p for p in psutil.process_iter() if data_dir in _cmdline(p)]
        for root in roots:
            for process in [root, *root.children(recursive=True)]:
                found[process.pid] = process
        seconds: dict[str, float] = {}
        for process in found.values():
            try:
                role = _role(_cmdline(process), process.name())
                times = process.cpu_times()
            except psutil.Error:
                continue
            seconds[role] = seconds.get(role, 0.0) + times.user + times.system
        return seconds

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _cmdline(process: Any) -> str:
    try:
        return " ".join(process.cmdline() or [])
    except Exception:  # a process gone meanwhile, or not ours to read
        return ""


ROLES = ("ingest", "scoring", "api", "webhooks")


def _role(cmdline: str, name: str) -> str:
    for role in ROLES:
        if f"services.{role}" in cmdline:
            return role
    if "tansu" in cmdline or "tansu" in name:
        return "broker"
    if "postgres" in name or "postgres" in cmdline:
        return "postgres"
    return "launcher"


def start_stack(data_dir: str) -> Stack:
    token = secrets.token_urlsafe(24)
    port = free_port("127.0.0.1")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "BENCH_E2E_EVENTS")
    }
    env.update(
        DEMO="0", DATA_DIR=data_dir, ADMIN_TOKEN=token, API_PORT=str(port), LOG_FORMAT="json"
    )
    if EXTERNAL_DATABASE_URL:  # a server of one's own, e.g. with pg_stat_statements loaded
        env["DATABASE_URL"] = EXTERNAL_DATABASE_URL
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.launcher"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        errors="replace",
        start_new_session=True,
    )
    stack = Stack(process, f"http://127.0.0.1:{port}", token, database_url=EXTERNAL_DATABASE_URL)
    threading.Thread(target=stack.read, daemon=True).start()
    deadline = time.monotonic() + UP_TIMEOUT_S
    while not stack.up.wait(0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stack.stop()
            tail = "\n".join(list(stack.lines)[-30:])
            raise RuntimeError(f"the stack did not come up:\n{tail}")
    return stack


def profile(stack: Stack, folder: str) -> list[subprocess.Popen[bytes]]:
    """BENCH_E2E_PYSPY=folder: py-spy records ingest and scoring (collapsed stacks,
    folder/<role>-<pid>.txt) from the first produce until the pipeline is drained."""
    if not folder:
        return []
    import psutil

    os.makedirs(folder, exist_ok=True)
    started = []
    for process in psutil.Process(stack.process.pid).children(recursive=True):
        role = _role(_cmdline(process), process.name())
        if role in ("ingest", "scoring"):
            out = os.path.join(folder, f"{role}-{process.pid}.txt")
            argv = ["py-spy", "record", "--format", "raw", "-r", "250", "-o", out]
            beside = os.path.join(os.path.dirname(sys.executable), argv[0])
            argv[0] = beside if os.path.exists(beside) else shutil.which(argv[0]) or beside
            started.append(
                subprocess.Popen(
                    [*argv, "--pid", str(process.pid)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    return started


SCORING_COUNTERS = ("scoring_batches_total", "scoring_buyers_rederived_total")


async def scoring_counters(stack: Stack) -> dict[str, float]:
    """The scoring process's batches and re-derived buyers so far (its /metrics)."""
    if not stack.scoring_metrics:
        return {}
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(f"http://127.0.0.1:{stack.scoring_metrics}/metrics")
    found = {}
    for line in resp.text.splitlines():
        name, _, value = line.partition(" ")
        if name in SCORING_COUNTERS:
            found[name] = float(value)
    return found


def wal_bytes(stack: Stack) -> int:
    """Postgres' WAL position (bytes written since the cluster began)."""
    import psycopg

    from shared.db import libpq_conninfo

    with psycopg.connect(libpq_conninfo(stack.database_url), autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
    return int(row[0]) if row else 0


def shop_ids(events: Sequence[SimEvent]) -> list[str]:
    return sorted({e.key.decode() for e in events if e.invalid_reason is None and e.key})


async def register(client: httpx.AsyncClient, shops: Sequence[str]) -> dict[str, str]:
    """Each shop through the admin API, with a key of its own: shop → API key."""
    keys = {}
    for shop in shops:
        body = {"shop_id": shop, "name": shop, "settings": {"timezone": TIMEZONE}}
        resp = await client.post("/admin/shops", json=body)
        resp.raise_for_status()
        resp = await client.post(f"/admin/shops/{shop}/api-keys", json={"name": "bench"})
        resp.raise_for_status()
        keys[shop] = resp.json()["key"]
    return keys


def produce(bootstrap: str, events: Sequence[SimEvent]) -> float:
    """librdkafka, lz4, acks=all: seconds from the first send to the last acknowledgement."""
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "compression.type": "lz4",
            "acks": "all",
            "linger.ms": 5,
            "batch.size": 512 * 1024,
            "queue.buffering.max.messages": 1_000_000,
            "enable.idempotence": False,
        }
    )
    started = time.perf_counter()
    for event in events:
        while True:
            try:
                producer.produce(event.topic, event.value, key=event.key)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    left = producer.flush(120)
    if left:
        raise RuntimeError(f"{left} events were not acknowledged")
    return time.perf_counter() - started


@dataclass
class Poller:
    """Each shop's `/v1/metrics` totals, read in a loop; since when each is unchanged."""

    client: httpx.AsyncClient
    keys: dict[str, str]
    params: dict[str, str]
    # Per shop: the body read last and when it was first read (since then unchanged).
    current: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    requests: int = 0

    async def once(self, shop: str) -> bytes:
        resp = await self.client.get(
            "/v1/metrics",
            params={**self.params, "group_by": "shop", "granularity": "total"},
            headers={"Authorization": f"Bearer {self.keys[shop]}"},
        )
        resp.raise_for_status()
        self.requests += 1
        return resp.content

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for shop in self.keys:
                body = await self.once(shop)
                if self.current.get(shop, (None,))[0] != body:
                    self.current[shop] = (body, time.perf_counter())
            await asyncio.sleep(POLL_S)


async def drained(client: httpx.AsyncClient) -> bool:
    resp = await client.get("/admin/pipeline")
    if resp.status_code != 200:
        return False
    health = resp.json()
    groups = health["consumer_groups"]
    return bool(groups) and all(g["total_lag"] == 0 for g in groups)


def metrics_range(events: Sequence[SimEvent]) -> dict[str, str]:
    days: list[date] = []
    for e in events:
        at = e.event.get("sent_at") or e.event.get("occurred_at")
        if isinstance(at, str):
            days.append(datetime.fromisoformat(at).date())
    return {"from": str(min(days) - timedelta(days=1)), "to": str(max(days) + timedelta(days=1))}


async def one_run(events: Sequence[SimEvent], data_dir: str) -> dict[str, Any]:
    stack = await asyncio.to_thread(start_stack, data_dir)
    try:
        async with httpx.AsyncClient(
            base_url=stack.api,
            headers={"Authorization": f"Bearer {stack.admin_token}"},
            timeout=60,
        ) as admin:
            keys = await register(admin, shop_ids(events))
            async with httpx.AsyncClient(base_url=stack.api, timeout=60) as client:
                return await _measure(stack, admin, client, keys, events, data_dir)
    finally:
        await asyncio.to_thread(stack.stop)


async def _measure(
    stack: Stack,
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    keys: dict[str, str],
    events: Sequence[SimEvent],
    data_dir: str,
) -> dict[str, Any]:
    poller = Poller(client, keys, metrics_range(events))
    for shop in keys:  # the empty answers, before anything is produced
        poller.current[shop] = (await poller.once(shop), 0.0)
    stop = asyncio.Event()
    polling = asyncio.create_task(poller.run(stop))
    cpu_before = await asyncio.to_thread(stack.cpu_seconds, data_dir)
    wal_before = await asyncio.to_thread(wal_bytes, stack)
    profilers = profile(stack, os.environ.get("BENCH_E2E_PYSPY", ""))
    started = time.perf_counter()
    produce_s = await asyncio.to_thread(produce, stack.bootstrap, events)
    deadline = started + RUN_TIMEOUT_S
    while not await drained(admin):
        if time.perf_counter() > deadline or polling.done():
            stop.set()
            await polling
            raise TimeoutError("the pipeline did not drain in time")
        await asyncio.sleep(1.0)
    cpu_after = await asyncio.to_thread(stack.cpu_seconds, data_dir)
    counted = await scoring_counters(stack)
    wal = await asyncio.to_thread(wal_bytes, stack) - wal_before
    for profiler in profilers:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(timeout=60)
    await asyncio.sleep(2 * POLL_S)  # the poller reads the final answers too
    stop.set()
    await polling
    visible = 0.0
    for shop in keys:
        final = await poller.once(shop)
        body, at = poller.current[shop]
        if body != final:
            raise RuntimeError(f"the poller's last read of {shop} is not its final numbers")
        visible = max(visible, at - started)
    rows = await every_number(client, keys, poller.params)
    names = [topics.CHAT, topics.ORDER]
    bare = await consume_rate(stack.bootstrap, names, len(events))
    return {
        "events": len(events),
        "seconds": round(visible, 3),
        "events_per_s": round(len(events) / visible),
        "produce_s": round(produce_s, 3),
        "bare_consumer_per_s": round(bare),
        "agent_day_rows": rows,
        "polls": poller.requests,
        "scoring_batches": counted.get("scoring_batches_total"),
        "buyers_rederived": counted.get("scoring_buyers_rederived_total"),
        "wal_bytes_per_event": round(wal / len(events)),
        # CPU µs per event of each process over produce → drained (the poller's API
        # requests included), and their sum against the run's wall time.
        "cpu_us_per_event": {
            role: round((cpu_after.get(role, 0.0) - seconds) * 1e6 / len(events), 1)
            for role, seconds in sorted(cpu_before.items())
        },
    }


async def every_number(client: httpx.AsyncClient, keys: dict[str, str], rng: dict[str, str]) -> int:
    """Every per-agent, per-day number of every shop (the check that they are there)."""
    rows = 0
    for key in keys.values():
        resp = await client.get(
            "/v1/metrics",
            params={**rng, "group_by": "agent", "granularity": "day"},
            headers={"Authorization": f"Bearer {key}"},
        )
        resp.raise_for_status()
        body = orjson.loads(resp.content)
        items = body.get("rows") if isinstance(body, dict) else None
        rows += len(items) if isinstance(items, list) else 0
    if rows == 0:
        raise RuntimeError("/v1/metrics shows no agent rows")
    return rows


def bench_events(count: int) -> list[SimEvent]:
    """The simulator's mix (bench/traffic.py), event ids of this run's own."""
    config = bench_config(datetime.now(UTC), id_prefix=f"e{secrets.token_hex(3)}")
    return list(generate(config, count=count))


def settings_from_env(default_events: int, default_repeats: int) -> tuple[int, int]:
    quick = os.environ.get("BENCH_E2E_QUICK", "") not in ("", "0")
    count = int(os.environ.get("BENCH_E2E_EVENTS", "30000" if quick else str(default_events)))
    return count, 1 if quick else default_repeats


async def measure_runs(count: int, repeats: int) -> list[dict[str, Any]]:
    results = []
    for _ in range(repeats):
        events = bench_events(count)
        with tempfile.TemporaryDirectory(prefix="kefu-e2e-") as tmp:
            result = await one_run(events, tmp)
        print(f"  e2e run: {result}", flush=True)
        results.append(result)
    return results


async def rows(table: Table, context: dict[str, Any]) -> None:
    """The `make bench` row: median of the runs, with the bare consumer of the same runs."""
    count, repeats = settings_from_env(max(150_000, len(context["events"])), context["repeats"])
    results = await measure_runs(count, repeats)
    add_row(table, results)


def add_row(table: Table, results: list[dict[str, Any]]) -> None:
    rate = median([r["events_per_s"] for r in results])
    bare = median([r["bare_consumer_per_s"] for r in results])
    ratios = median([r["events_per_s"] / r["bare_consumer_per_s"] for r in results])
    table.add(
        "end to end: produced → visible in /v1/metrics",
        rate,
        "events/s",
        f"{results[0]['events']:,} events, make run's processes, median of {len(results)}; "
        f"bare consumer {bare:,.0f}/s in the same runs, ratio {ratios:.1%}",
    )


async def _standalone() -> None:
    count, repeats = settings_from_env(150_000, int(os.environ.get("BENCH_REPEATS", "3")))
    if len(sys.argv) > 1:
        count = int(sys.argv[1])
    table = Table()
    add_row(table, await measure_runs(count, repeats))
    print(table.render())


if __name__ == "__main__":
    asyncio.run(_standalone())
