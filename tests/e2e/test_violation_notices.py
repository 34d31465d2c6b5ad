"""Notifications that stay true under late events (SPEC §8): a shuffled stream through
the real pipeline (Kafka, the scoring shell with its alerts hook, Postgres), late messages
arriving after their sessions were scored. Each violation is notified once, under an id
derived from its identity; the notified minus the withdrawn are the final violations; a
rescore that removes violations withdraws them."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.qa_rules import QaRules
from domain.violations import Identity
from services.alerts import evaluate_after_batch
from services.scoring.derivation import buyer_violations
from services.scoring.rescore import run_rescore
from shared.settings import Settings
from tests.scoring.recompute import derive_all
from tests.scoring.stream import (
    chat,
    drain,
    generate,
    ingest,
    register_shop,
    to_core,
)

# forbidden_words notifies by default; greeting (stored with a message that moves when an
# earlier agent message arrives) and min_emojis (judged on the whole session) too.
RULES: dict[str, Any] = {"greeting": {"notify": True}, "min_emojis": {"notify": True}}


def _final(events: list[dict[str, Any]], shop: str, rules: dict[str, Any]) -> set[Identity]:
    """The violations with notify on, by identity, of a batch recomputation."""
    facts = derive_all(map(to_core, events), rules_by_shop={shop: QaRules.from_dict(rules)})
    return {n.identity for (_, b), f in facts.items() for n in buyer_violations(b, f).notices}


async def _notices(engine: AsyncEngine, shop: str) -> list[tuple[str, str, Identity]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT type, event_id, data FROM webhook_events"
                " WHERE shop_id = :s AND type LIKE 'qa.violation%' ORDER BY created_at, event_id"
            ),
            {"s": shop},
        )
        return [
            (r.type, r.event_id, (r.data["rule"], r.data["message_key"], r.data["occurrence"]))
            for r in rows
        ]


def _outstanding(notices: list[tuple[str, str, Identity]]) -> Counter[Identity]:
    """Notified minus withdrawn, per identity."""
    count: Counter[Identity] = Counter()
    for kind, _, identity in notices:
        count[identity] += 1 if kind == "qa.violation" else -1
    return count


async def test_shuffled_stream_notifies_each_violation_once(
    engine: AsyncEngine, settings: Settings
) -> None:
    shop, group = f"shop-notices-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
    await register_shop(engine, shop, rules=RULES)
    events = generate(23, shop, 2400, buyers=40, agents=4, prefix="n")
    last = max(e.get("sent_at") or e["occurred_at"] for e in events)
    # Closes every session at the end: a message of another buyer a day later.
    later = datetime.fromisoformat(last) + timedelta(days=1)
    closer = chat(shop, "n-close", "buyer-x", "agent-0", "system", later, "", "other")
    stream = list(events)
    rng = random.Random(23)
    rng.shuffle(stream)
    for chunk in (stream[:600], stream[600:1200], stream[1200:1800], stream[1800:]):
        await ingest(engine, settings, chunk)
        await drain(engine, settings, group)
    await ingest(engine, settings, [closer])
    await drain(engine, settings, group)

    notices = await _notices(engine, shop)
    final = _final([*events, closer], shop, RULES)
    outstanding = _outstanding(notices)
    assert {i for i, n in outstanding.items() if n} == final
    assert set(outstanding.values()) <= {0, 1}
    notified = [(eid, i) for kind, eid, i in notices if kind == "qa.violation"]
    assert len({eid for eid, _ in notified}) == len(notified)
    assert max(Counter(i for _, i in notified).values()) == 1  # no identity twice
    # The stream is late enough to withdraw some, and has violations of every kind.
    assert any(kind == "qa.violation.withdrawn" for kind, _, _ in notices)
    assert {rule for rule, _, _ in final} == {"forbidden_words", "greeting", "min_emojis"}

    # A rescore under rules without greeting withdraws every greeting notice, once.
    quieter = {"min_emojis": {"notify": True}, "greeting": {"enabled": False}}
    await register_shop(engine, shop, rules=quieter)
    await _rescore(engine, shop)
    after = await _notices(engine, shop)
    outstanding = _outstanding(after)
    assert {i for i, n in outstanding.items() if n} == _final([*events, closer], shop, quieter)
    withdrawn = [i for kind, _, i in after[len(notices) :] if kind == "qa.violation.withdrawn"]
    assert sorted(withdrawn) == sorted(i for i in final if i[0] == "greeting")
    await _rescore(engine, shop)  # the same again: nothing new
    assert await _notices(engine, shop) == after


async def _rescore(engine: AsyncEngine, shop: str) -> None:
    job = f"job-{uuid.uuid4().hex[:6]}"
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO rescore_jobs (shop_id, job_id, status) VALUES (:s, :j, 'queued')"),
            {"s": shop, "j": job},
        )
    await run_rescore(engine=engine, shop_id=shop, job_id=job, after_batch=[evaluate_after_batch])
    async with engine.connect() as conn:
        status = await conn.scalar(
            text("SELECT status FROM rescore_jobs WHERE shop_id = :s AND job_id = :j"),
            {"s": shop, "j": job},
        )
    assert status == "done"
