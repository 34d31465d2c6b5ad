"""Last-touch attribution of orders to inquiries, and inquiry status (SPEC §4).

Only inquiries compete: the candidate touches are the buyer messages of pre-sale
consultations. An order placed at t goes to the inquiry holding the latest such message m
with m <= t and t - m <= window (both inclusive); ties on m go to the smallest agent_id
in code-point order (Python's str order, never a locale collation).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .inquiries import Consultation, ConsultationDraft, Kind
from .orders import Order

InquiryKey = tuple[str, date]  # (agent_id, local day): one buyer has one inquiry per key


@dataclass(frozen=True, slots=True, order=True)
class Touch:
    at: datetime
    agent_id: str
    day: date


def touches(drafts: Iterable[ConsultationDraft], kinds: Mapping[InquiryKey, Kind]) -> list[Touch]:
    """Buyer messages of inquiries, sorted by (time, agent_id) for the tie rule."""
    found = [
        Touch(m.sent_at, d.agent_id, d.day)
        for d in drafts
        if kinds[(d.agent_id, d.day)] == "presale"
        for m in d.messages
    ]
    return sorted(found)


def _credit(
    placed_at: datetime, found: Sequence[Touch], times: Sequence[datetime], window: timedelta
) -> InquiryKey | None:
    i = bisect_right(times, placed_at)  # messages at exactly t count (m <= t)
    if i == 0 or placed_at - times[i - 1] > window:
        return None
    winner = found[bisect_left(times, times[i - 1])]  # smallest agent_id at that instant
    return (winner.agent_id, winner.day)


def attribute(
    orders: Iterable[Order], found: Sequence[Touch], window: timedelta
) -> dict[str, InquiryKey | None]:
    """order_id -> the credited inquiry, or None for a silent order (静默下单)."""
    times = [t.at for t in found]
    return {o.order_id: _credit(o.placed_at, found, times, window) for o in orders}


def finalize(
    draft: ConsultationDraft,
    kind: Kind,
    credited: Sequence[Order],
    watermark: datetime,
    window: timedelta,
) -> Consultation:
    """The consultation with its attributed orders and status flags.

    Lost is strict (watermark - last buyer message > window) and never sticks: it is
    recomputed from the events each time, so a later payment turns it into converted.
    """
    first, last = draft.messages[0].sent_at, draft.messages[-1].sent_at
    converted = any(o.paid for o in credited)
    return Consultation(
        agent_id=draft.agent_id,
        day=draft.day,
        kind=kind,
        first_buyer_at=first,
        last_buyer_at=last,
        buyer_message_ids=tuple(m.event_id for m in draft.messages),
        replied=draft.replied,
        order_ids=tuple(sorted(o.order_id for o in credited)),
        ordered=bool(credited),
        converted=converted,
        lost=kind == "presale" and not converted and watermark - last > window,
    )
