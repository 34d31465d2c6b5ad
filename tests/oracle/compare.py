"""Run the oracle and the production core on the same events and list every differing part."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring.core import ChatMessage, OrderEvent, ReviewEvent, Totals
from tests.oracle import AGENT_PARTS, SHOP_PARTS, compute
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
        return {f.name: getattr(parts, f.name) for f in fields(parts)}

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


def core_batch_rows(
    events: list[dict[str, Any]], settings: Settings, rules: Rules
) -> tuple[Rows, Rows]:
    """The core's plain batch recomputation."""
    return _totals_rows(recompute([to_core(e) for e in events], *_core_config(settings, rules)))


def core_streamed_rows(
    events: list[dict[str, Any]], settings: Settings, rules: Rules, seed: int
) -> tuple[Rows, Rows]:
    """The core's incremental scorer fed the events in the given order, in random batches."""
    rng = random.Random(seed)
    scorer = IncrementalScorer(*_core_config(settings, rules))
    i = 0
    while i < len(events):
        size = rng.randint(1, 50)
        scorer.apply_batch([to_core(e) for e in events[i : i + size]])
        i += size
    return _totals_rows(scorer.totals)


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
        c_agents, c_shops = core_batch_rows(events, settings, rules)
    else:
        c_agents, c_shops = core_streamed_rows(events, settings, rules, streamed_seed)
    return differences(o_agents, c_agents, AGENT_PARTS) + differences(o_shops, c_shops, SHOP_PARTS)
