"""CPU cost of the pure core alone: derive_buyer over simulator timelines, no I/O.

Timelines are grouped the way services/scoring/timeline_loader.py loads them (a buyer's
messages plus every event of every order the buyer has an event of), for the stream
prefixes ending at a few fractions of the events, each derived under that prefix's shop
watermarks, under the scoring worker's GC settings. Timed with process_time: the machine
is shared, CPU time is the steadier number.

    python -m bench.core_bench [--events N] [--repeats R] [--against DIR] [--reviews]

`--against DIR` also derives with a copy of the core saved as DIR/core_orig (e.g. before
an optimisation) and checks every buyer's facts are field-for-field equal.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.traffic import bench_config
from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring import core
from services.scoring.collector import Collector
from shared.simulator import generate

FRACTIONS = (0.25, 0.5, 1.0)
# A fixed clock: the same events on every run, so timings and results are comparable.
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
Key = tuple[str, str]


def events(count: int, *, reviews: bool = False) -> list[dict[str, Any]]:
    """Valid simulator event bodies in stream order (cached in /tmp: generating is slow);
    `reviews`: with the reviews row's review.posted events (bench.traffic)."""
    cache = Path(f"/tmp/core_bench_events_{count}{'_reviews' if reviews else ''}.pickle")
    if cache.exists():
        cached: list[dict[str, Any]] = pickle.loads(cache.read_bytes())
        return cached
    # A fixed clock and seed: the pickle stays valid.
    generated = generate(bench_config(NOW, reviews=reviews), count=count)
    bodies = [e.event for e in generated if e.invalid_reason is None]
    cache.write_bytes(pickle.dumps(bodies))
    return bodies


def build_event(body: dict[str, Any], model: ModuleType) -> Any:
    if body["type"] == "review.posted":
        return model.ReviewEvent(
            body["shop_id"],
            body["event_id"],
            body["order_id"],
            body["buyer_id"],
            datetime.fromisoformat(body["posted_at"]).astimezone(UTC),
            body["rating"],
            body.get("text", ""),
            *((body.get("dsr") or {}).get(k) for k in ("item", "service", "logistics")),
        )
    if body["type"] == "chat.message":
        return model.ChatMessage(
            body["shop_id"],
            body["event_id"],
            body["buyer_id"],
            body.get("agent_id"),
            body["sender"],
            datetime.fromisoformat(body["sent_at"]).astimezone(UTC),  # the scoring shell reads UTC
            body.get("msg_type", "text"),
            body["text"],
        )
    amount = body.get("amount")
    return model.OrderEvent(
        body["shop_id"],
        body["event_id"],
        body["type"],
        body["order_id"],
        body["buyer_id"],
        datetime.fromisoformat(body["occurred_at"]).astimezone(UTC),
        Decimal(amount) if amount else None,
    )


# Per buyer: (messages, order events, reviews), as timeline_loader.py loads them.
Timelines = dict[Key, tuple[list[Any], list[Any], list[Any]]]
# Per shop: (watermark, agents seen on its chat messages).
Shops = dict[str, tuple[datetime, frozenset[str]]]


def timelines(bodies: Sequence[dict[str, Any]], model: ModuleType) -> tuple[Timelines, Shops]:
    """Per-buyer timelines and per-shop watermarks and agents of a stream prefix."""
    messages: dict[Key, list[Any]] = {}
    orders: dict[Key, list[Any]] = {}
    reviews: dict[Key, list[Any]] = {}
    buyer_orders: dict[Key, set[str]] = {}
    marks: dict[str, datetime] = {}
    agents: dict[str, set[str]] = {}
    seen: set[Key] = set()
    for body in bodies:
        shop, kind = body["shop_id"], body["type"]
        if (shop, body["event_id"]) in seen:
            continue  # ingest keeps the first event of an id
        seen.add((shop, body["event_id"]))
        event = build_event(body, model)
        key = (shop, event.buyer_id)
        at = model.event_time(event)
        marks[shop] = max(marks.get(shop, at), at)
        if kind == "chat.message":
            messages.setdefault(key, []).append(event)
            if event.agent_id is not None:
                agents.setdefault(shop, set()).add(event.agent_id)
        elif kind == "review.posted":
            reviews.setdefault((shop, event.order_id), []).append(event)
        else:
            orders.setdefault((shop, event.order_id), []).append(event)
            buyer_orders.setdefault(key, set()).add(event.order_id)
    result: Timelines = {}
    for key in sorted(messages.keys() | buyer_orders.keys()):
        oids = sorted(buyer_orders.get(key, ()))
        evs = [e for oid in oids for e in orders[(key[0], oid)]]
        revs = [r for oid in oids for r in reviews.get((key[0], oid), ())]
        result[key] = (messages.get(key, []), evs, revs)
    shops = {shop: (mark, frozenset(agents.get(shop, ()))) for shop, mark in marks.items()}
    return result, shops


def derive(package: ModuleType, data: Timelines, shops: Shops) -> tuple[float, list[Any]]:
    settings, rules = ShopSettings(), QaRules()
    fn: Callable[..., Any] = package.derive_buyer
    started = time.process_time()
    results = [
        fn(
            msgs,
            evs,
            settings,
            rules,
            shops[key[0]][0],
            buyer_id=key[1],
            reviews=revs,
            agents=shops[key[0]][1],
        )
        for key, (msgs, evs, revs) in data.items()
    ]
    return time.process_time() - started, results


def canonical(value: Any) -> Any:
    """Field-for-field plain form, so results of two copies of the core compare."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value)]
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        names = list(value._fields)
    else:
        names = []
    if names:
        return (type(value).__name__, tuple((n, canonical(getattr(value, n))) for n in names))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((canonical(k), canonical(v)) for k, v in value.items())))
    if isinstance(value, Decimal):
        return ("Decimal", str(value))  # the exponent shows in JSON: keep it exact
    return (type(value).__name__, value)


def _original(directory: str) -> ModuleType:
    sys.path.insert(0, directory)
    return importlib.import_module("core_orig")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", help="directory holding core_orig, to compare results")
    parser.add_argument("--reviews", action="store_true", help="35 %% of paid orders reviewed")
    args = parser.parse_args()
    bodies = events(args.events, reviews=args.reviews)
    Collector().start()  # the worker's collector settings: the default ones would dominate the time
    original = _original(args.against) if args.against else None
    total_cpu, total_n = 0.0, 0
    for fraction in FRACTIONS:
        prefix = bodies[: int(len(bodies) * fraction)]
        data, shops = timelines(prefix, core.model)
        best = min(derive(core, data, shops)[0] for _ in range(args.repeats))
        total_cpu += best
        total_n += len(data)
        line = f"{fraction:>5.0%}  buyers {len(data):>6}  cpu {best:6.3f} s"
        line += f"  {best / len(data) * 1e6:6.1f} µs/derivation"
        if original is not None:
            old_data, _ = timelines(prefix, original.model)
            old_cpu, old = derive(original, old_data, shops)
            _, new = derive(core, data, shops)
            same = [canonical(a) == canonical(b) for a, b in zip(old, new, strict=True)]
            line += f"  | original {old_cpu:6.3f} s  equal {sum(same)}/{len(same)}"
            if not all(same):
                raise SystemExit(line + "\nRESULTS DIFFER")
        print(line, flush=True)
    print(f"total  cpu {total_cpu:.3f} s  {total_cpu / total_n * 1e6:.1f} µs/derivation")


if __name__ == "__main__":
    main()
