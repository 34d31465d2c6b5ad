"""Run the oracle and the production core on the same events and list every differing part."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from domain.spread import Spread
from services.scoring.core import ChatMessage, OrderEvent, ReviewEvent, Totals
from tests.oracle import AGENT_PARTS, SHOP_PARTS, compute
from tests.oracle.spec_oracle import percentile
from tests.scoring.incremental import IncrementalScorer
from tests.scoring.recompute import recompute

Row = dict[str, int | Decimal]
Rows = dict[Any, Row]
Settings = Mapping[str, Mapping[str, Any]]  # shop_id -> §3 overrides
Rules = Mapping[str, Mapping[str, Mapping[str, Any]]]  # shop_id -> oracle rule overrides


def to_core(ev: Mapping[str, Any]) -> ChatMessage | OrderEvent | ReviewEvent:
    if ev["type"] == "review.posted":
        dsr = ev.get("dsr") or {}
        return ReviewEvent(
            ev["shop_id"],
            ev["event_id"],
            ev["order_id"],
            ev["buyer_id"],
            datetime.fromisoformat(ev["posted_at"]),
            ev["rating"],
            ev["text"],
            dsr.get("item"),
            dsr.get("service"),
            dsr.get("logistics"),
        )
    if ev["type"] == "chat.message":
        return ChatMessage(
            shop_id=ev["shop_id"],
            event_id=ev["event_id"],
            buyer_id=ev["buyer_id"],
            agent_id=ev["agent_id"],
            sender=ev["sender"],
            sent_at=datetime.fromisoformat(ev["sent_at"]),
            msg_type=ev.get("msg_type") or "text",
            text=ev["text"],
        )
    amount = ev.get("amount")
    return OrderEvent(
        shop_id=ev["shop_id"],
        event_id=ev["event_id"],
        type=ev["type"],
        order_id=ev["order_id"],
        buyer_id=ev["buyer_id"],
        occurred_at=datetime.fromisoformat(ev["occurred_at"]),
        amount=None if amount is None else Decimal(amount),
    )


def core_rules(oracle_overrides: Mapping[str, Mapping[str, Any]]) -> QaRules:
    """The oracle's flat `{rule: {enabled, penalty, <param>...}}` in the core's nested shape."""
    nested: dict[str, dict[str, Any]] = {}
    for rule, over in oracle_overrides.items():
        top = {k: v for k, v in over.items() if k in ("enabled", "penalty", "notify")}
        params = {k: v for k, v in over.items() if k not in top}
        nested[rule] = {**top, **({"params": params} if params else {})}
    return QaRules.from_dict(nested)


def _nonzero(rows: Mapping[Any, Row]) -> Rows:
    return {k: r for k, r in rows.items() if any(v != 0 for v in r.values())}


def oracle_rows(
    events: list[dict[str, Any]], settings: Settings, rules: Rules
) -> tuple[Rows, Rows]:
    agents: Rows = {}
    shops: Rows = {}
    for shop, res in compute(events, settings, rules).items():
        for (agent, day), row in res.agent_days.items():
            agents[(shop, agent, day)] = row
        for day, row in res.shop_days.items():
            shops[(shop, day)] = row
    return _nonzero(agents), _nonzero(shops)


def _totals_rows(totals: Totals) -> tuple[Rows, Rows]:
    def as_row(parts: Any) -> Row:
        return {name: getattr(parts, name) for name in parts.FIELDS}

    agents = {k: as_row(p) for k, p in totals.agent_days.items()}
    shops = {k: as_row(p) for k, p in totals.shop_days.items()}
    return _nonzero(agents), _nonzero(shops)


def _core_config(
    settings: Settings, rules: Rules
) -> tuple[dict[str, ShopSettings], dict[str, QaRules]]:
    return (
        {shop: ShopSettings.from_dict(s) for shop, s in settings.items()},
        {shop: core_rules(r) for shop, r in rules.items()},
    )


def core_batch_totals(events: list[dict[str, Any]], settings: Settings, rules: Rules) -> Totals:
    return recompute([to_core(e) for e in events], *_core_config(settings, rules))


def core_batch_rows(
    events: list[dict[str, Any]], settings: Settings, rules: Rules
) -> tuple[Rows, Rows]:
    """The core's plain batch recomputation."""
    return _totals_rows(core_batch_totals(events, settings, rules))


Times = dict[tuple[str, str, Any], tuple[list[int], list[int]]]


def oracle_times(events: list[dict[str, Any]], settings: Settings, rules: Rules) -> Times:
    """(shop, agent, day) -> sorted response µs and first response µs (SPEC §11)."""
    return {
        (shop, agent, day): (sorted(r), sorted(f))
        for shop, res in compute(events, settings, rules).items()
        for (agent, day), (r, f) in res.times.items()
    }


def core_times(totals: Totals) -> Times:
    return {k: (t.to_json()["r"], t.to_json()["f"]) for k, t in totals.spreads.items()}


def percentile_differences(oracle: Times, totals: Totals) -> list[str]:
    """Per-day value lists, then p50/p90/p50-first of every agent's and every shop's
    merged days: the oracle's brute-force sort against the core's Spread selection."""
    out = [
        f"{k} times: oracle={oracle.get(k)} core={core.get(k)}"
        for core in [core_times(totals)]
        for k in sorted(set(oracle) | set(core), key=repr)
        if oracle.get(k) != core.get(k)
    ]
    merged: dict[tuple[str, str | None], list[Any]] = {}
    for (shop, agent, _), times in totals.spreads.items():
        for key in ((shop, agent), (shop, None)):
            merged.setdefault(key, []).append(times)
    for key, spreads in merged.items():
        spread = Spread.of_times(spreads)
        mine = [
            v
            for k, (r, _) in oracle.items()
            if k[0] == key[0] and key[1] in (None, k[1])
            for v in r
        ]
        firsts = [
            v
            for k, (_, f) in oracle.items()
            if k[0] == key[0] and key[1] in (None, k[1])
            for v in f
        ]
        for name, got, want in (
            ("p50", spread.percentile("responses", 1, 2), percentile(mine, 1, 2)),
            ("p90", spread.percentile("responses", 9, 10), percentile(mine, 9, 10)),
            ("p50 first", spread.percentile("first", 1, 2), percentile(firsts, 1, 2)),
        ):
            if got != want:
                out.append(f"{key} {name}: oracle={want} core={got}")
    return out


def core_streamed_rows(
    events: list[dict[str, Any]], settings: Settings, rules: Rules, seed: int
) -> tuple[Rows, Rows]:
    return _totals_rows(core_streamed_totals(events, settings, rules, seed))


def core_streamed_totals(
    events: list[dict[str, Any]], settings: Settings, rules: Rules, seed: int
) -> Totals:
    """The core's incremental scorer fed the events in the given order, in random batches."""
    rng = random.Random(seed)
    scorer = IncrementalScorer(*_core_config(settings, rules))
    i = 0
    while i < len(events):
        size = rng.randint(1, 50)
        scorer.apply_batch([to_core(e) for e in events[i : i + size]])
        i += size
    return scorer.totals


def differences(
    oracle: Mapping[Any, Row], core: Mapping[Any, Row], names: Iterable[str]
) -> list[str]:
    out = []
    for key in sorted(set(oracle) | set(core), key=repr):
        o, c = oracle.get(key, {}), core.get(key, {})
        for name in names:
            ov, cv = o.get(name, 0), c.get(name, 0)
            if ov != cv:
                out.append(f"{key} {name}: oracle={ov} core={cv}")
    return out


def all_differences(
    events: list[dict[str, Any]],
    settings: Settings | None = None,
    rules: Rules | None = None,
    streamed_seed: int | None = None,
) -> list[str]:
    """Every differing part between the oracle and the core (batch, or streamed if a seed)."""
    settings, rules = settings or {}, rules or {}
    o_agents, o_shops = oracle_rows(events, settings, rules)
    if streamed_seed is None:
        totals = core_batch_totals(events, settings, rules)
    else:
        totals = core_streamed_totals(events, settings, rules, streamed_seed)
    c_agents, c_shops = _totals_rows(totals)
    return (
        differences(o_agents, c_agents, AGENT_PARTS)
        + differences(o_shops, c_shops, SHOP_PARTS)
        + percentile_differences(oracle_times(events, settings, rules), totals)
    )
