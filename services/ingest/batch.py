"""The pure core of ingest: Kafka records → what to store, forward and dead-letter.

No I/O here. The shell (worker.py) reads a batch, asks Postgres which shops exist and which
event ids are already stored, and hands both to these functions. Order of the rules
(SPEC §2): validation first, then dedupe among valid events, the first one winning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from shared.contracts import Rejection, RejectReason, check_event_time, parse_event
from shared.contracts.validation import MAX_FUTURE, Parsed

# order_events.amount is NUMERIC(16, 2): a larger amount could not be stored and would
# fail the whole batch transaction, so it is a field error like any other.
MAX_AMOUNT_DIGITS = 14
MAX_DETAIL = 2000

Key = tuple[str, str]  # (shop_id, event_id)


# Per-record types are NamedTuples: a batch creates thousands of them, and a frozen
# dataclass' __init__ costs several times more.


class InRecord(NamedTuple):
    """One consumed Kafka message, reduced to what ingest needs."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @property
    def source(self) -> tuple[str, int, int]:
        return (self.topic, self.partition, self.offset)


class Candidate(NamedTuple):
    """A valid event: it passed the contract, the shop and the clock checks."""

    record: InRecord
    parsed: Parsed
    key: Key  # (shop_id, event_id)

    @property
    def raw(self) -> bytes:
        assert self.record.value is not None  # valid events always have a value
        return self.record.value

    @property
    def body(self) -> dict[str, Any]:
        return self.parsed.body

    @property
    def is_chat(self) -> bool:
        return self.parsed.kind == "chat.message"

    @property
    def table(self) -> str:
        """The raw table that stores the event."""
        kind = self.parsed.kind
        if kind == "chat.message":
            return "chat_messages"
        return "review_events" if kind == "review.posted" else "order_events"


class DeadLetter(NamedTuple):
    record: InRecord
    reason: RejectReason
    detail: str
    shop_id: str = ""  # the shop the event claims, '' when unreadable
    event_id: str | None = None


class StoredEvent(NamedTuple):
    """The row that already holds an event id: where it came from and its body."""

    source: tuple[str, int, int]
    body: dict[str, Any]


@dataclass(frozen=True)
class Validated:
    candidates: list[Candidate]
    rejected: list[DeadLetter]


@dataclass
class Plan:
    insert: list[Candidate] = field(default_factory=list)
    # Every event to produce on cs.events.v1: the new ones, and re-processed ones whose
    # stored row has this very source (our own earlier attempt crashed before the commit).
    forward: list[Candidate] = field(default_factory=list)
    replayed: list[Candidate] = field(default_factory=list)
    duplicates: list[Candidate] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


_PROCESSING_ORDER = itemgetter(1, 2, 0)  # InRecord's (partition, offset, topic)


def in_order(records: Iterable[InRecord]) -> list[InRecord]:
    """Deterministic processing order: first by (partition, offset) wins a duplicate."""
    return sorted(records, key=_PROCESSING_ORDER)


def parse_all(records: Iterable[InRecord]) -> list[tuple[InRecord, Parsed | Rejection]]:
    """Contract checks of every record, in processing order (Parsed or Rejection each)."""
    out: list[tuple[InRecord, Parsed | Rejection]] = []
    for record in in_order(records):
        result = parse_event(record.value)
        if isinstance(result, Parsed):
            result = _storable(result, record.value or b"") or result
        out.append((record, result))
    return out


def claimed_shops(parsed: Iterable[tuple[InRecord, Parsed | Rejection]]) -> set[str]:
    return {result.shop_id for _, result in parsed if isinstance(result, Parsed)}


def validate(
    parsed: Iterable[tuple[InRecord, Parsed | Rejection]],
    *,
    retention: Mapping[str, int],
    now: datetime,
) -> Validated:
    """Shop and clock checks. `retention` maps every registered shop to its retention days."""
    candidates: list[Candidate] = []
    rejected: list[DeadLetter] = []
    # The accepted window per shop and UTC offset, in that offset: comparing datetimes of
    # different offsets costs ~1 µs each in CPython, of equal offsets a fraction of it.
    # check_event_time is asked only for the reason of a rejection.
    windows: dict[tuple[str, timedelta | None], tuple[datetime, datetime]] = {}
    for record, result in parsed:
        if isinstance(result, Rejection):
            rejected.append(_dead(record, result))
            continue
        shop_id, at = result.shop_id, result.occurred
        window = windows.get((shop_id, at.utcoffset()))
        if window is None:
            if shop_id not in retention:
                rejected.append(_dead(record, _unknown_shop(result)))
                continue
            window = windows[(shop_id, at.utcoffset())] = _window(
                now, retention[shop_id], at.tzinfo
            )
        if window[0] <= at <= window[1]:
            candidates.append(Candidate(record, result, (shop_id, result.event_id)))
        else:
            late = check_event_time(result, now=now, retention_days=retention[shop_id])
            assert late is not None  # outside the window: too old or in the future
            rejected.append(_dead(record, late))
    return Validated(candidates, rejected)


def _window(now: datetime, retention_days: int, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """The oldest and newest accepted event time (SPEC §2), expressed in `tz`."""
    return (now - timedelta(days=retention_days)).astimezone(tz), (now + MAX_FUTURE).astimezone(tz)


def resolve(validated: Validated, stored: Mapping[Key, StoredEvent]) -> Plan:
    """Dedupe the valid events against what is stored and against each other."""
    plan = Plan(dead_letters=list(validated.rejected))
    winners: dict[Key, StoredEvent | Candidate] = dict(stored)
    for candidate in validated.candidates:
        first = winners.get(candidate.key)
        if first is None:
            winners[candidate.key] = candidate
            plan.insert.append(candidate)
            plan.forward.append(candidate)
        elif isinstance(first, Candidate):  # an earlier copy in this batch
            plan.duplicates.append(candidate)
            if first.body != candidate.body:
                plan.dead_letters.append(_conflict(candidate, first.record.source))
        elif first.source == candidate.record.source:
            plan.replayed.append(candidate)
            plan.forward.append(candidate)
        else:
            plan.duplicates.append(candidate)
            if first.body != candidate.body:
                plan.dead_letters.append(_conflict(candidate, first.source))
    return plan


def _dead(record: InRecord, rejection: Rejection) -> DeadLetter:
    detail = rejection.detail
    if len(detail) > MAX_DETAIL:  # an unknown type may echo a huge value back
        detail = detail[:MAX_DETAIL] + "…"
    return DeadLetter(record, rejection.reason, detail, rejection.shop_id or "", rejection.event_id)


def _unknown_shop(event: Parsed) -> Rejection:
    return Rejection(
        RejectReason.UNKNOWN_SHOP,
        f"shop {event.shop_id!r} is not registered; register it (POST /admin/shops) and "
        f"replay its dead letters",
        event.shop_id,
        event.event_id,
    )


def _conflict(candidate: Candidate, first: tuple[str, int, int]) -> DeadLetter:
    topic, partition, offset = first
    shop_id, event_id = candidate.key
    return DeadLetter(
        candidate.record,
        RejectReason.CONFLICTING_DUPLICATE,
        f"event_id {event_id!r} of shop {shop_id!r} was first accepted from "
        f"{topic}/{partition}@{offset} with a different body; this copy was dropped "
        f"(event ids must be unique within a shop)",
        shop_id,
        event_id,
    )


def _storable(event: Parsed, raw: bytes) -> Rejection | None:
    """Values the contract allows but Postgres cannot hold: reject them, never fail a batch."""
    body = event.body
    if b"\\u0000" in raw and _has_nul(body):
        return Rejection(
            RejectReason.INVALID_FIELDS,
            "a string contains U+0000 (NUL), which cannot be stored; remove it",
            event.shop_id,
            event.event_id,
        )
    amount = body.get("amount") if event.kind.startswith("order.") else None
    if amount is not None and len(amount) > MAX_AMOUNT_DIGITS:  # else surely short enough
        digits = Decimal(amount).adjusted() + 1  # the contract's value: leading zeros aside
        if digits > MAX_AMOUNT_DIGITS:
            return Rejection(
                RejectReason.INVALID_FIELDS,
                f"amount: {body.get('amount')!r} is too large (at most "
                f"{MAX_AMOUNT_DIGITS} digits before the decimal point)",
                event.shop_id,
                event.event_id,
            )
    return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
