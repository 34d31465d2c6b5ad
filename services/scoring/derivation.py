"""Deriving buyers with the pure core, and what the shell keeps of each derivation.

The core derives one buyer from its whole timeline; this module runs it over many
timelines (one failing buyer never stalls the rest), tells which timelines need it at all
(the input memo), and picks the QA violations (qa.violation identities) out of the facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from domain.review_notices import ReviewNotice
from domain.violations import BuyerViolations, Identity, ViolationNotice, session_key
from services.scoring.core.derive import derive_buyer
from services.scoring.core.facts import BuyerFacts, Session
from services.scoring.facts_store import FactRows
from services.scoring.input_memo import InputMemo, digest
from services.scoring.repository import BuyerKey, ShopContext
from services.scoring.timeline_loader import Timeline
from shared.logging import get_logger

log = get_logger(__name__)


def derive_one(
    key: BuyerKey, timeline: Timeline, shop: ShopContext, watermark: datetime
) -> BuyerFacts | None:
    """The buyer's facts, or None (logged) if the core cannot derive it: its stored
    results stay as they were, and a later event or a rescore retries it."""
    try:
        return derive_buyer(
            timeline.messages,
            timeline.order_events,
            shop.settings,
            shop.rules,
            watermark,
            buyer_id=key[1],
            reviews=timeline.reviews,
            agents=shop.agents,
        )
    except Exception:
        log.exception("buyer_derivation_failed", shop_id=key[0], buyer_id=key[1])
        return None


def derive_all(
    timelines: Mapping[BuyerKey, Timeline],
    shops: Mapping[str, ShopContext],
    marks: Mapping[str, datetime],
) -> tuple[FactRows, list[tuple[BuyerKey, BuyerFacts]]]:
    """Every timeline derived, with the fact rows to store."""
    rows = FactRows()
    results: list[tuple[BuyerKey, BuyerFacts]] = []
    for key, timeline in timelines.items():
        facts = derive_one(key, timeline, shops[key[0]], marks[key[0]])
        if facts is not None:
            rows.add(key, facts)
            results.append((key, facts))
    return rows, results


def buyer_violations(buyer_id: str, facts: BuyerFacts) -> BuyerViolations:
    """The buyer's violation notices (rules with notify on) and, lazily, the identities of
    all its violations and the message keys of its open sessions (SPEC §8 qa.violation
    identities; the alerts hook keeps the ledger)."""
    sessions = facts.sessions
    notices: list[ViolationNotice] = []
    for s in sessions:
        if s.qa is not None and any(v.notify for v in s.qa.violations):
            notices.extend(_occurrences(buyer_id, s, notify_only=True))
    return BuyerViolations(
        buyer_id,
        notices,
        lambda: (n.identity for s in sessions if s.qa for n in _occurrences(buyer_id, s)),
        lambda: _pending(sessions),
    )


# A buyer's violations as plain values (picklable: a rescore's worker processes send
# them): buyer_id, the notices (notify on), every occurrence's identity, pending keys.
ViolationRecord = tuple[str, tuple[ViolationNotice, ...], tuple[Identity, ...], tuple[str, ...]]


def violation_record(buyer_id: str, facts: BuyerFacts) -> ViolationRecord | None:
    """buyer_violations computed eagerly; None for a buyer with no violation and no open
    session (a whole-shop report treats an absent buyer as one holding nothing)."""
    sessions = facts.sessions
    present = [n for s in sessions if s.qa is not None for n in _occurrences(buyer_id, s)]
    pending = tuple(_pending(sessions))
    if not present and not pending:
        return None
    notices = tuple(n for n in present if n.notify)
    return buyer_id, notices, tuple(n.identity for n in present), pending


def from_record(record: ViolationRecord) -> BuyerViolations:
    buyer_id, notices, identities, pending = record
    return BuyerViolations(buyer_id, notices, lambda: identities, lambda: pending)


def _occurrences(
    buyer_id: str, s: Session, *, notify_only: bool = False
) -> Iterator[ViolationNotice]:
    """One notice per occurrence, numbered from 1 per (rule, message) in the session."""
    assert s.qa is not None
    seen: dict[tuple[str, str | None], int] = {}
    for v in s.qa.violations:
        if notify_only and not v.notify:
            continue  # notify is per rule: the rule's numbering is unaffected
        first = seen.get((v.rule, v.message_event_id), 0)
        seen[(v.rule, v.message_event_id)] = first + v.count
        each = v.penalty // v.count if v.count else v.penalty
        for k in range(1, v.count + 1):
            yield ViolationNotice(
                agent_id=s.agent_id,
                buyer_id=buyer_id,
                session_started_at=s.first_at,
                day=s.day,
                rule=v.rule,
                message_event_id=v.message_event_id,
                occurrence=first + k,
                penalty=each,
                notify=v.notify,
                detail=v.detail,
            )


def _pending(sessions: Iterable[Session]) -> Iterator[str]:
    for s in sessions:
        if s.qa is None:
            yield from s.message_ids
            yield session_key(s.agent_id, s.first_at)


def changed(
    timelines: Mapping[BuyerKey, Timeline],
    shops: Mapping[str, ShopContext],
    marks: Mapping[str, datetime],
    memo: InputMemo | None,
) -> tuple[dict[BuyerKey, Timeline], dict[BuyerKey, bytes]]:
    """The timelines whose stored results may differ from a fresh derivation, and the
    digests of all of them."""
    digests = {key: digest(timeline) for key, timeline in timelines.items()}
    if memo is None:
        return dict(timelines), digests
    kept = {
        key: timeline
        for key, timeline in timelines.items()
        if not memo.unchanged(
            key, digests[key], shops[key[0]].settings, shops[key[0]].rules, marks[key[0]]
        )
    }
    return kept, digests


def review_notices(buyer_id: str, facts: BuyerFacts) -> list[ReviewNotice]:
    """The buyer's reviewed orders that may call for review.bad or its withdrawal (SPEC
    §11): a bad review, or bad reviews before the current one."""
    return [
        ReviewNotice(
            order_id=r.order_id,
            buyer_id=buyer_id,
            placed_at=r.placed_at,
            review_event_id=r.event_id,
            posted_at=r.posted_at,
            day=r.day,
            rating=r.rating,
            text=r.text,
            dsr=r.dsr,
            agent_id=r.service_agent,
            inquiry_day=r.inquiry_day,
            transcript_from=r.transcript_from or r.day,
            earlier_bad=r.earlier_bad,
        )
        for r in facts.reviews
        if r.rating == "bad" or r.earlier_bad
    ]
