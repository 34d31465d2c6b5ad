"""The qa.violation notice ledger (SPEC §8): each violation notified once, under an id
derived from its identity, and withdrawn when late events or a rescore remove it.

`reconcile` is pure: given what the re-derived buyers hold now and the ledger rows of
those buyers, it says which violations are new (notify) and which notified ones are gone
(withdraw). A violation in a session still open is not judged yet: it neither confirms
nor withdraws (a late message can reopen a closed session; its violations come back
when it closes again, and were never gone). `ledger_events` applies that to the ledger
table in the caller's transaction and returns the outbox events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text

from domain.violations import Identity, ViolationNotice, ViolationReport, notice_event_id
from services.webhooks.outbox import OutboxEvent

from .store import Session

NOTIFIED, WITHDRAWN = "notified", "withdrawn"


@dataclass(frozen=True, slots=True)
class LedgerRow:
    buyer_id: str
    state: str  # notified | withdrawn
    generation: int
    data: dict[str, Any]


@dataclass(slots=True)
class Changes:
    notify: list[tuple[ViolationNotice, int]] = field(default_factory=list)  # (notice, gen)
    withdraw: list[tuple[Identity, LedgerRow]] = field(default_factory=list)


def reconcile(report: ViolationReport, ledger: Mapping[Identity, LedgerRow]) -> Changes:
    """New violations with notify on, and notified ones no longer there (pure)."""
    changes = Changes()
    for buyer in report.buyers:
        for notice in buyer.notices:
            row = ledger.get(notice.identity)
            if row is None:
                changes.notify.append((notice, 0))
            elif row.state == WITHDRAWN:  # gone once, back again: a new notice
                changes.notify.append((notice, row.generation + 1))
    buyers = {b.buyer_id: b for b in report.buyers}
    for identity, row in sorted(ledger.items()):
        if row.state != NOTIFIED:
            continue
        now = buyers.get(row.buyer_id)
        if now is not None and (identity in now.identities() or identity[1] in now.pending()):
            continue  # still there, or not judged yet
        changes.withdraw.append((identity, row))
    return changes


_LOAD = text(
    "SELECT rule, message_key, occurrence, buyer_id, state, generation, data"
    " FROM qa_notices WHERE shop_id = :shop_id AND (:whole OR buyer_id = ANY(:buyers))"
)

_UPSERT = text(
    """
    INSERT INTO qa_notices (shop_id, rule, message_key, occurrence, buyer_id, state,
                            generation, data, updated_at)
    SELECT :shop_id, r, m, o, b, s, g, CAST(d AS jsonb), :now
    FROM unnest(CAST(:rules AS text[]), CAST(:keys AS text[]), CAST(:occ AS int[]),
                CAST(:buyers AS text[]), CAST(:states AS text[]), CAST(:gens AS int[]),
                CAST(:data AS text[])) AS u(r, m, o, b, s, g, d)
    ON CONFLICT (shop_id, rule, message_key, occurrence) DO UPDATE
    SET buyer_id = excluded.buyer_id, state = excluded.state,
        generation = excluded.generation, data = excluded.data, updated_at = excluded.updated_at
    """
)


async def _load(
    session: Session, shop_id: str, report: ViolationReport
) -> dict[Identity, LedgerRow]:
    rows = await session.execute(
        _LOAD,
        {
            "shop_id": shop_id,
            "whole": report.whole_shop,
            "buyers": [b.buyer_id for b in report.buyers],
        },
    )
    return {
        (r.rule, r.message_key, r.occurrence): LedgerRow(r.buyer_id, r.state, r.generation, r.data)
        for r in rows
    }


async def _store(session: Session, shop_id: str, changes: Changes, now: datetime) -> None:
    rows: list[tuple[str, str, int, str, str, int, str]] = [
        (*n.identity, n.buyer_id, NOTIFIED, gen, json.dumps(n.data())) for n, gen in changes.notify
    ]
    rows += [
        (*identity, row.buyer_id, WITHDRAWN, row.generation, json.dumps(row.data))
        for identity, row in changes.withdraw
    ]
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    names = ("rules", "keys", "occ", "buyers", "states", "gens", "data")
    params: dict[str, Any] = {n: list(c) for n, c in zip(names, columns, strict=True)}
    await session.execute(_UPSERT, {"shop_id": shop_id, "now": now, **params})


async def ledger_events(
    *, session: Session, shop_id: str, report: ViolationReport, now: datetime
) -> list[OutboxEvent]:
    """Update the shop's ledger for the report, in the caller's transaction; the
    qa.violation and qa.violation.withdrawn events to queue."""
    if not report.buyers and not report.whole_shop:
        return []
    changes = reconcile(report, await _load(session, shop_id, report))
    await _store(session, shop_id, changes, now)
    events = [
        OutboxEvent("qa.violation", n.data(), n.event_id(shop_id, gen)) for n, gen in changes.notify
    ]
    events += [
        OutboxEvent(
            "qa.violation.withdrawn",
            row.data,
            notice_event_id("evt_qaw_", shop_id, identity, row.generation),
        )
        for identity, row in changes.withdraw
    ]
    return events
