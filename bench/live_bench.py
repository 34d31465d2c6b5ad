"""CPU of scoring's per-buyer work the way live traffic drives it, without I/O.

bench.core_bench times the core over whole histories. In live traffic a batch carries one
or two events per touched buyer, and every touched buyer is re-derived from its whole
history and written again, so what an event costs is the per-buyer work of the scoring
shell (services/scoring/rederive.py `_load` and `_derive`) around the core. This bench
replays the simulator's stream (core_bench's events) in batches of `--batch` events; after
each batch every touched buyer (the batch's buyers, every buyer of a touched order,
buyers whose wake_at the new watermark passed) goes through the shell's steps with the
worker's input memo:

- digest: the input digest and the memo check (derivation.changed);
- stored: decoding its stored contributions (the JSON its previous derivation stored, as
  facts_store.load_stored gets it);
- core: derive_one;
- rows: FactRows.add (fact rows and the buyer_state JSON);
- deltas: the contributions diff against the stored ones into the batch's rollup deltas,
  violations, review notices and the memo's inputs.

Timed with process_time per batch (its steps' shares by perf_counter), under the worker's
collector settings. `--check` prints a
digest of every fact row, buyer_state and rollup delta written: it must be the same for
two builds (the same stream, byte for byte the same results).

    python -m bench.live_bench [--events N] [--batch B] [--repeats R] [--reviews] [--check]
                               [--demo-hours]
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from bench.core_bench import Key, build_event, events
from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring.collector import Collector
from services.scoring.contributions_json import stored_diff
from services.scoring.core import model
from services.scoring.core.facts import BuyerFacts
from services.scoring.derivation import buyer_violations, derive_one, review_notices
from services.scoring.facts_store import FactRows
from services.scoring.input_memo import InputMemo, Inputs, digest
from services.scoring.repository import ShopContext
from services.scoring.rollups import RollupDeltas
from services.scoring.timeline_loader import Timeline
from shared.simulator.demo import DEMO_HOURS

STEPS = ("digest", "stored", "core", "rows", "deltas")


@dataclass(slots=True)
class _Stream:
    """The events stored so far, indexed the way timeline_loader.py reads them."""

    messages: dict[Key, list[Any]] = field(default_factory=dict)
    orders: dict[Key, list[Any]] = field(default_factory=dict)  # (shop, order) -> events
    reviews: dict[Key, list[Any]] = field(default_factory=dict)  # (shop, order) -> reviews
    buyer_orders: dict[Key, set[str]] = field(default_factory=dict)
    order_buyers: dict[Key, set[str]] = field(default_factory=dict)
    seen: set[Key] = field(default_factory=set)

    def timeline(self, key: Key) -> Timeline:
        shop = key[0]
        oids = sorted(self.buyer_orders.get(key, ()))
        return Timeline(
            list(self.messages.get(key, ())),
            [e for oid in oids for e in self.orders[(shop, oid)]],
            [r for oid in oids for r in self.reviews.get((shop, oid), ())],
        )


def _store(stream: _Stream, body: dict[str, Any], touched: set[Key]) -> tuple[str, Any]:
    """Store one event (ingest keeps an id's first event); the buyers it touches."""
    shop, kind = body["shop_id"], body["type"]
    if (shop, body["event_id"]) in stream.seen:
        return shop, None
    stream.seen.add((shop, body["event_id"]))
    event = build_event(body, model)
    if kind == "chat.message":
        stream.messages.setdefault((shop, event.buyer_id), []).append(event)
        touched.add((shop, event.buyer_id))
        return shop, event
    order = (shop, event.order_id)
    if kind == "review.posted":
        stream.reviews.setdefault(order, []).append(event)
    else:
        stream.orders.setdefault(order, []).append(event)
        stream.buyer_orders.setdefault((shop, event.buyer_id), set()).add(event.order_id)
        stream.order_buyers.setdefault(order, set()).add(event.buyer_id)
        touched.add((shop, event.buyer_id))
    touched.update((shop, b) for b in stream.order_buyers.get(order, ()))
    return shop, event


@dataclass(slots=True)
class _Run:
    times: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    derivations: int = 0
    timeline_events: int = 0  # in the derived timelines
    unchanged: int = 0
    events: int = 0
    check: Any = None  # hashlib object, or None


def _batches(bodies: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(bodies), size):
        yield bodies[i : i + size]


def _derive_batch(
    keys: list[Key],
    stream: _Stream,
    contexts: dict[str, ShopContext],
    marks: dict[str, datetime],
    memo: InputMemo,
    stored: dict[Key, bytes],
    run: _Run,
) -> dict[Key, BuyerFacts]:
    """The shell's per-buyer steps for one batch's buyers (rederive.py). The batch's CPU
    time is split over the steps by their wall-clock shares (perf_counter is cheap,
    process_time costs a system call)."""
    timelines = [(key, stream.timeline(key)) for key in keys]
    clock: Callable[[], float] = time.perf_counter
    spent = dict.fromkeys(STEPS, 0.0)
    rows, deltas = FactRows(), RollupDeltas()
    inputs: list[tuple[Key, Inputs]] = []
    results: dict[Key, BuyerFacts] = {}
    cpu = time.process_time()
    for key, timeline in timelines:
        shop = contexts[key[0]]
        t0 = clock()
        dig = digest(timeline)
        same = memo.unchanged(key, dig, shop.settings, shop.rules, marks[key[0]])
        t1 = clock()
        spent["digest"] += t1 - t0
        if same:
            run.unchanged += 1
            continue
        raw = stored.get(key)
        old = orjson.loads(raw) if raw is not None else None
        t2 = clock()
        facts = derive_one(key, timeline, shop, marks[key[0]])
        t3 = clock()
        assert facts is not None
        compact = rows.add(key, facts)
        t4 = clock()
        inputs.append((key, Inputs(dig, shop.settings, shop.rules, facts.wake_at)))
        deltas.add(key[0], stored_diff(facts, compact, old))
        buyer_violations(key[1], facts)
        if facts.reviews:
            review_notices(key[1], facts)
        t5 = clock()
        spent["stored"] += t2 - t1
        spent["core"] += t3 - t2
        spent["rows"] += t4 - t3
        spent["deltas"] += t5 - t4
        run.derivations += 1
        run.timeline_events += timeline.size
        results[key] = facts
    cpu = time.process_time() - cpu
    wall = sum(spent.values()) or 1.0
    for step, seconds in spent.items():
        run.times[step] += cpu * seconds / wall
    memo.remember(inputs)  # the batch "committed"
    for state in rows.states:
        stored[(state[0], state[1])] = state[3].encode()
    if run.check is not None:
        for table in (rows.sessions, rows.violations, rows.inquiries, rows.reviews, rows.states):
            run.check.update(repr(table).encode())
        run.check.update(repr(sorted(deltas.agent_days.items())).encode())
        run.check.update(repr(sorted(deltas.shop_days.items())).encode())
        run.check.update(repr(sorted(deltas.spreads.items())).encode())
    return results


def replay(
    bodies: list[dict[str, Any]], batch: int, *, check: bool = False, hours: bool = False
) -> _Run:
    stream = _Stream()
    settings = ShopSettings.from_dict({"business_hours": DEMO_HOURS if hours else None})
    rules = QaRules()
    agents: dict[str, set[str]] = {}
    marks: dict[str, datetime] = {}
    wake: dict[Key, datetime] = {}
    memo = InputMemo()
    stored: dict[Key, bytes] = {}  # buyer_state.contributions as written
    run = _Run(check=hashlib.blake2b(digest_size=16) if check else None)
    for chunk in _batches(bodies, batch):
        touched: set[Key] = set()
        for body in chunk:
            shop, event = _store(stream, body, touched)
            if event is None:
                continue
            run.events += 1
            at = model.event_time(event)
            marks[shop] = max(marks.get(shop, at), at)
            if body["type"] == "chat.message" and event.agent_id is not None:
                agents.setdefault(shop, set()).add(event.agent_id)
        touched |= {k for k, at in wake.items() if k[0] in marks and at < marks[k[0]]}
        contexts = {
            shop: ShopContext(shop, settings, rules, marks[shop], frozenset(agents.get(shop, ())))
            for shop in marks
        }
        keys = sorted(touched)
        for key, facts in _derive_batch(keys, stream, contexts, marks, memo, stored, run).items():
            if facts.wake_at is None:
                wake.pop(key, None)
            else:
                wake[key] = facts.wake_at
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2_000, help="events per batch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reviews", action="store_true", help="35 %% of paid orders reviewed")
    parser.add_argument("--check", action="store_true", help="digest of every row written")
    parser.add_argument(
        "--demo-hours", action="store_true", help="the demo shop's business hours (SPEC §11)"
    )
    args = parser.parse_args()
    bodies = events(args.events, reviews=args.reviews)
    Collector().start()  # the worker's collector settings
    runs = [
        replay(bodies, args.batch, check=args.check, hours=args.demo_hours)
        for _ in range(args.repeats)
    ]
    best = min(runs, key=lambda r: sum(r.times.values()))
    total = sum(best.times.values())
    n, d = best.events, best.derivations
    print(
        f"events {n}  batches of {args.batch}  derivations {d} ({d / n:.2f} per event)"
        f"  memo skipped {best.unchanged}  timeline events per derivation"
        f" {best.timeline_events / d:.1f}"
    )
    for step in STEPS:
        spent = best.times[step]
        print(
            f"  {step:<7} {spent:7.3f} s  {spent / n * 1e6:6.1f} µs/event"
            f"  {spent / d * 1e6:6.1f} µs/derivation  {spent / total:5.1%}"
        )
    print(
        f"  total   {total:7.3f} s  {total / n * 1e6:6.1f} µs/event"
        f"  {total / d * 1e6:6.1f} µs/derivation  (best of {len(runs)})"
    )
    if best.check is not None:
        print(f"check {best.check.hexdigest()}")


if __name__ == "__main__":
    main()
