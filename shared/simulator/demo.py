"""The demo driver: register a shop through the admin API, print an API key and example
calls, then stream realistic traffic (timestamps = now) until SIGTERM / Ctrl-C.

    python -m shared.simulator --api http://127.0.0.1:8000 --admin-token T --rate 50
    python -m shared.simulator --count 100000 --no-api --bootstrap localhost:9092
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from aiokafka import AIOKafkaProducer

from shared.simulator.console_users import create_console_users
from shared.simulator.demo_plans import create_demo_plans
from shared.simulator.generator import EVENTS_PER_ARRIVAL, Stream, generate, scenario_of
from shared.simulator.librdkafka_producer import LibrdkafkaProducer
from shared.simulator.model import (
    CHAT_TOPIC,
    ORDER_TOPIC,
    SHANGHAI,
    Agent,
    Shop,
    SimConfig,
    SimEvent,
)
from shared.simulator.pacing import hold_rate
from shared.simulator.producer import ensure_topics, stream


class ApiError(RuntimeError):
    pass


def _problem(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:500]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)
    return str(body)


async def wait_ready(
    client: httpx.AsyncClient, wait_seconds: float = 300.0, interval: float = 1.0
) -> None:
    """Poll ``GET /readyz`` until it answers 200."""
    deadline = time.monotonic() + wait_seconds
    last = "no answer"
    announced = False
    while True:
        try:
            resp = await client.get("/readyz")
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            url = client.base_url.join("/readyz")
            raise ApiError(f"{url} not ready after {wait_seconds:.0f} s ({last})")
        if not announced:
            print(f"waiting for {client.base_url.join('/readyz')} … ({last})", flush=True)
            announced = True
        await asyncio.sleep(interval)


# The demo shop's 客服 hours (SPEC §11): 08:00–24:00 on weekdays, 09:00–22:00 at weekends.
# Questions asked at night are timed from the next opening.
DEMO_HOURS: dict[str, list[list[str]]] = {
    **{d: [["08:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    **{d: [["09:00", "22:00"]] for d in ("sat", "sun")},
}


async def register_shop(
    client: httpx.AsyncClient, shop_id: str, name: str, settings: dict[str, Any] | None = None
) -> bool:
    """``POST /admin/shops``; True if created, False if it already existed (409)."""
    body: dict[str, Any] = {"shop_id": shop_id, "name": name}
    if settings:
        body["settings"] = settings
    resp = await client.post("/admin/shops", json=body)
    if resp.status_code == 201:
        return True
    if resp.status_code == 409:
        return False
    raise ApiError(f"POST /admin/shops {shop_id!r}: HTTP {resp.status_code}: {_problem(resp)}")


async def create_api_key(
    client: httpx.AsyncClient, shop_id: str, name: str = "simulator demo"
) -> dict[str, Any]:
    """``POST /admin/shops/{shop_id}/api-keys`` → ``{"id", "key"}``."""
    resp = await client.post(
        f"/admin/shops/{quote(shop_id, safe='')}/api-keys", json={"name": name}
    )
    if resp.status_code != 201:
        raise ApiError(
            f"POST /admin/shops/{shop_id}/api-keys: HTTP {resp.status_code}: {_problem(resp)}"
        )
    data = resp.json()
    if not isinstance(data, dict) or "key" not in data:
        raise ApiError(f"unexpected api-key answer: {data!r}")
    return data


async def set_agent_groups(
    client: httpx.AsyncClient, key: str, shop: Shop, agents: list[Agent] | None = None
) -> list[Agent]:
    """Best effort: tell the API the agents' groups and mentors
    (``PATCH /v1/agents/{agent_id}``). Agents exist in the API once their first events are
    scored, so call this a little after streaming started. Returns the agents not updated.
    """
    headers = {"Authorization": f"Bearer {key}"}
    left: list[Agent] = []
    for agent in shop.agents if agents is None else agents:
        body: dict[str, Any] = {"group": agent.group, "display_name": agent.name}
        if agent.mentor_id:
            body["mentor_id"] = agent.mentor_id
        try:
            resp = await client.patch(
                f"/v1/agents/{quote(agent.agent_id, safe='')}", json=body, headers=headers
            )
        except httpx.HTTPError:
            left.append(agent)
            continue
        if not resp.is_success:
            left.append(agent)
    return left


def example_calls(api: str, key: str, today: datetime | None = None) -> list[str]:
    today = today or datetime.now(SHANGHAI)
    to = today.date()
    frm = to - timedelta(days=6)
    base = api.rstrip("/")
    auth = f"-H 'Authorization: Bearer {key}'"
    return [
        f"curl {auth} '{base}/v1/metrics?from={frm}&to={to}&granularity=day&group_by=agent'",
        f"curl {auth} '{base}/v1/metrics?from={frm}&to={to}&granularity=total&group_by=shop'",
        f"curl {auth} '{base}/v1/metrics?from={frm}&to={to}&granularity=week&group_by=group'",
    ]


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    p = argparse.ArgumentParser(
        prog="python -m shared.simulator",
        description="Stream realistic shop chat and order events (SPEC §2) to Kafka.",
    )
    p.add_argument(
        "--api",
        default=f"http://127.0.0.1:{env.get('API_PORT', '8000')}",
        help="base URL of the API (shop registration and an API key)",
    )
    p.add_argument(
        "--public-api",
        default=None,
        help="base URL shown in the example curl lines (default --api)",
    )
    p.add_argument(
        "--admin-token", default=env.get("ADMIN_TOKEN"), help="admin token (default $ADMIN_TOKEN)"
    )
    p.add_argument(
        "--no-api", action="store_true", help="do not talk to the API, only produce to the broker"
    )
    p.add_argument(
        "--bootstrap",
        default=env.get("KAFKA_BOOTSTRAP_SERVERS"),
        help="Kafka bootstrap servers (default $KAFKA_BOOTSTRAP_SERVERS)",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="events per second (live default 50; with --count: unlimited)",
    )
    p.add_argument(
        "--count",
        type=int,
        default=None,
        help="produce this many events (timestamps spread over the last "
        "--span-hours) and exit, instead of streaming live",
    )
    p.add_argument("--span-hours", type=float, default=72.0)
    p.add_argument("--shop", default="demo-shop", help="shop id (prefix when --shops > 1)")
    p.add_argument("--name", default="演示旗舰店", help="shop name for registration")
    p.add_argument("--shops", type=int, default=1)
    p.add_argument(
        "--business-hours",
        default=json.dumps(DEMO_HOURS),
        help="the shops' business_hours setting as JSON (SPEC §11); 'null': always open",
    )
    p.add_argument("--agents", type=int, default=12, help="agents per shop")
    p.add_argument("--buyers", type=int, default=3000, help="buyers per shop")
    p.add_argument("--seed", type=int, default=None, help="default: from the clock")
    p.add_argument("--late", type=float, default=0.01, help="fraction of late events")
    p.add_argument("--duplicates", type=float, default=0.005, help="fraction of exact duplicates")
    p.add_argument("--invalid", type=float, default=0.0, help="fraction of invalid events")
    p.add_argument(
        "--reviews", type=float, default=0.35, help="fraction of paid orders reviewed (SPEC §11)"
    )
    p.add_argument("--wait", type=float, default=300.0, help="seconds to wait for /readyz")
    p.add_argument(
        "--partitions",
        type=int,
        default=int(env.get("KAFKA_TOPIC_PARTITIONS", "8") or 8),
        help="partitions for input topics the simulator creates if missing",
    )
    p.add_argument("--no-create-topics", action="store_true")
    p.add_argument(
        "--id-prefix",
        default=None,
        help="prefix of the event ids (default: from the clock); producers streaming into "
        "the same shop at once need prefixes of their own",
    )
    p.add_argument(
        "--compression",
        choices=("lz4", "gzip", "zstd", "none"),
        default="lz4",
        help="producer batch compression (lz4: least CPU per event on both sides)",
    )
    p.add_argument(
        "--linger-ms",
        type=int,
        default=20,
        help="how long the producer gathers a partition's batch (fewer, larger batches: "
        "the embedded broker's fetch cost grows with the batches a partition holds)",
    )
    p.add_argument(
        "--producer",
        choices=("aiokafka", "librdkafka"),
        default="aiokafka",
        help="Kafka client of the sends (librdkafka: confluent-kafka, a dev dependency, "
        "a fraction of aiokafka's CPU per event; the soak's producers use it)",
    )
    p.add_argument(
        "--record",
        default=env.get("SIMULATOR_RECORD"),
        help="append every event the broker acknowledged to this file, one JSON line each "
        "(default $SIMULATOR_RECORD; tests recompute from it)",
    )
    p.add_argument(
        "--history-days",
        type=float,
        default=HISTORY_DAYS,
        help="live mode: first send this many days of history before the warm-up, so that "
        "weeks, bonuses, honour levels and lost inquiries have content (0: none)",
    )
    p.add_argument(
        "--history-events",
        type=int,
        default=30_000,
        help="about how many events the history holds (its arrivals are spread to fit)",
    )
    p.add_argument(
        "--warmup-minutes",
        type=float,
        default=30.0,
        help="live mode: first send this much recent history at once (0: none)",
    )
    return p


#: days of history a live demo sends first (make run: DEMO_HISTORY_DAYS)
HISTORY_DAYS = 28.0

#: events per arrival sent within the first days of a live run (measured)
LIVE_EVENTS_PER_ARRIVAL = 8.0


class _Split:
    """One event iterator cut in two at a time: events emitted up to ``until_ms``, then
    the rest."""

    def __init__(self, events: Iterator[SimEvent], until_ms: int) -> None:
        self.events = events
        self.until_ms = until_ms
        self.held: SimEvent | None = None

    def head(self) -> Iterator[SimEvent]:
        for ev in self.events:
            if ev.at_ms > self.until_ms:
                self.held = ev
                return
            yield ev

    def tail(self) -> Iterator[SimEvent]:
        if self.held is not None:
            yield self.held
        yield from self.events


def history_config(args: argparse.Namespace, live: SimConfig) -> SimConfig | None:
    """The days before a live run's warm-up, sparser than live traffic: the same shops,
    agents and buyers (returning buyers), ids of their own, ending where the warm-up
    starts; None without history."""
    if args.count is not None or args.history_days <= 0:
        return None
    hours = args.history_days * 24.0
    shops = len(live.resolved_shop_ids())
    per_hour = args.history_events / (EVENTS_PER_ARRIVAL * shops * hours)
    return replace(
        live,
        start=live.start - timedelta(hours=hours),
        now=live.start,
        diurnal=True,
        arrivals_per_hour=max(per_hour, 0.01),
        id_prefix=f"{live.id_prefix}h",
    )


def make_config(args: argparse.Namespace, now: datetime) -> tuple[SimConfig, float | None]:
    """The generator options and send rate of a command line, at wall-clock ``now``."""
    seed = args.seed if args.seed is not None else int(now.timestamp() * 1000) % (2**31)
    shop_ids = (
        (args.shop,)
        if args.shops == 1
        else tuple(f"{args.shop}-{i:03d}" for i in range(args.shops))
    )
    base = SimConfig(
        seed=seed,
        shop_ids=shop_ids,
        agents_per_shop=args.agents,
        buyers_per_shop=args.buyers,
        late_fraction=args.late,
        duplicate_fraction=args.duplicates,
        invalid_fraction=args.invalid,
        review_fraction=args.reviews,
        # a fresh prefix per run: ids never collide with an earlier run into the same shop
        id_prefix=args.id_prefix or f"d{int(now.timestamp() * 1000):x}",
    )
    if args.count is None:
        rate = args.rate if args.rate else 50.0
        # a journey's events spread over minutes (chat) to days (balance, after-sale,
        # refunds): in the first days about LIVE_EVENTS_PER_ARRIVAL of them are out
        per_hour = rate * 3600.0 / LIVE_EVENTS_PER_ARRIVAL / len(shop_ids)
        # the timeline starts --warmup-minutes ago: that backlog is sent at once, so that
        # live traffic runs at full rate from the start
        start = now - timedelta(minutes=max(args.warmup_minutes, 0.0))
        return replace(base, start=start, now=None, diurnal=False, arrivals_per_hour=per_hour), rate
    span = max(args.span_hours, 1.0)
    # about 30 % more than asked over the span, so the stream ends by count, not by "now"
    per_hour = 1.3 * args.count / (EVENTS_PER_ARRIVAL * len(shop_ids) * span)
    return replace(
        base, start=now - timedelta(hours=span), now=now, arrivals_per_hour=max(per_hour, 0.01)
    ), args.rate


async def run(args: argparse.Namespace) -> int:
    if not args.bootstrap:
        print("error: no broker: pass --bootstrap or set KAFKA_BOOTSTRAP_SERVERS", file=sys.stderr)
        return 2
    now = datetime.now(SHANGHAI)
    config, rate = make_config(args, now)
    shops = scenario_of(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    key: str | None = None
    client: httpx.AsyncClient | None = None
    stack = contextlib.ExitStack()
    if not args.no_api:
        if not args.admin_token:
            print("error: pass --admin-token or set ADMIN_TOKEN (or use --no-api)", file=sys.stderr)
            return 2
        client = httpx.AsyncClient(
            base_url=args.api,
            timeout=10.0,
            headers={"Authorization": f"Bearer {args.admin_token}"},
        )
    try:
        if client is not None:
            await wait_ready(client, args.wait)
            for i, shop in enumerate(shops):
                name = args.name if len(shops) == 1 else f"{args.name}{i + 1}"
                hours = json.loads(args.business_hours)
                settings = None if hours is None else {"business_hours": hours}
                created = await register_shop(client, shop.shop_id, name, settings)
                print(
                    f"shop {shop.shop_id}: {'registered' if created else 'already registered'}",
                    flush=True,
                )
            api_key = await create_api_key(client, shops[0].shop_id)
            key = str(api_key["key"])
            print(f"\nAPI key for {shops[0].shop_id} (shown once): {key}\n", flush=True)
            for line in example_calls(args.public_api or args.api, key, now):
                print(line, flush=True)
            shop0 = shops[0]
            for line in await create_console_users(
                client, shop0.shop_id, shop0.agents[0].agent_id, args.admin_token
            ):
                print(line, flush=True)
            for line in await create_demo_plans(client, key):
                print(line, flush=True)
            print(flush=True)
        if not args.no_create_topics:
            try:
                created_topics = await ensure_topics(
                    args.bootstrap, (CHAT_TOPIC, ORDER_TOPIC), args.partitions
                )
                if created_topics:
                    print(f"created topics {', '.join(created_topics)}", flush=True)
            except Exception as exc:  # the broker may auto-create, or ingest already did
                print(f"note: could not create topics ({exc}); going on", flush=True)

        groups_task: asyncio.Task[None] | None = None
        if client is not None and key is not None and args.count is None:
            api_client, shop_key, shop0 = client, key, shops[0]

            async def later() -> None:
                left: list[Agent] | None = None
                for _ in range(4):  # agents appear once their first events are scored
                    await asyncio.sleep(20)
                    left = await set_agent_groups(api_client, shop_key, shop0, left)
                    if not left:
                        break
                done = len(shop0.agents) - len(left or [])
                print(
                    f"agent groups and mentors set for {done}/{len(shop0.agents)} agents",
                    flush=True,
                )

            groups_task = asyncio.create_task(later())

        live = args.count is None
        started = time.monotonic()
        # live: arrivals planned so that the timeline carries `rate` from its start
        events = hold_rate(Stream(config), rate) if live and rate else generate(config, args.count)
        record = _recorder(args.record, stack)
        compression = None if args.compression == "none" else args.compression
        factory = LibrdkafkaProducer if args.producer == "librdkafka" else AIOKafkaProducer
        sent = 0
        history = history_config(args, config)
        if history is not None:
            sent = await stream(
                generate(history, None),
                args.bootstrap,
                None,
                stop=stop,
                record=record,
                compression_type=compression,
                producer_factory=factory,
                linger_ms=args.linger_ms,
            )
            print(
                f"sent {sent} events of {args.history_days:g} days of history "
                f"in {time.monotonic() - started:.1f} s",
                flush=True,
            )
        if live and config.start < now:
            split = _Split(events, int(now.timestamp() * 1000))
            warm = await stream(
                split.head(),
                args.bootstrap,
                None,
                stop=stop,
                record=record,
                compression_type=compression,
                producer_factory=factory,
                linger_ms=args.linger_ms,
            )
            sent += warm
            print(
                f"sent {warm} events of the last {args.warmup_minutes:g} minutes "
                f"in {time.monotonic() - started:.1f} s",
                flush=True,
            )
            events = split.tail()
        what = f"{rate:g} events/s live" if live else f"{args.count} events"
        print(
            f"streaming {what} to {args.bootstrap} (seed {config.seed}); Ctrl-C to stop", flush=True
        )
        started = time.monotonic()

        def progress(n: int) -> None:
            if n % 10_000 == 0 or (live and n % 1000 == 0):
                print(
                    f"  {n} events sent ({n / max(time.monotonic() - started, 1e-9):.0f}/s)",
                    flush=True,
                )

        if not stop.is_set():
            sent += await stream(
                events,
                args.bootstrap,
                # live: the timeline already runs at `rate`; the bucket only clips bursts
                rate * 1.5 if live and rate else rate,
                realtime=live,
                stop=stop,
                on_progress=progress,
                record=record,
                compression_type=compression,
                producer_factory=factory,
                linger_ms=args.linger_ms,
            )
        if groups_task is not None:
            groups_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await groups_task
        print(f"sent {sent} events in all", flush=True)
        return 0
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.close()
        if client is not None:
            await client.aclose()


def _recorder(path: str | None, stack: contextlib.ExitStack) -> Callable[[SimEvent], None] | None:
    if not path:
        return None
    out = stack.enter_context(open(path, "ab"))  # noqa: SIM115 (closed by the stack)

    def record(event: SimEvent) -> None:
        out.write(event.value + b"\n")

    return record


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
