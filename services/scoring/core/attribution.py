"""Last-touch attribution of orders to inquiries, and inquiry status (SPEC §4).

Only inquiries compete: the candidate touches are the buyer messages of pre-sale
consultations. An order placed at t goes to the inquiry holding the latest such message m
with m <= t and t - m <= window (both inclusive); ties on m go to the smallest agent_id
in code-point order (Python's str order, never a locale collation).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter

from .inquiries import Consultation, ConsultationDraft, Kind
from .orders import Order

_EVENT_ID = attrgetter("event_id")
_ORDER_ID = attrgetter("order_id")

InquiryKey = tuple[str, date]  # (agent_id, local day): one buyer has one inquiry per key

# A buyer message of an inquiry: (at, agent_id, day). A plain tuple sorts in C, in the
# order the tie rule needs.
Touch = tuple[datetime, str, date]


def touches(drafts: Iterable[ConsultationDraft], kinds: Mapping[InquiryKey, Kind]) -> list[Touch]:
    """Buyer messages of inquiries, sorted by (time, agent_id) for the tie rule."""
    found = [
        (m.sent_at, d.agent_id, d.day)
        for d in drafts
        if kinds[(d.agent_id, d.day)] == "presale"
        for m in d.messages
    ]
    found.sort()
    return found


def _credit(
    placed_at: datetime, found: Sequence[Touch], times: Sequence[datetime], window: timedelta
) -> InquiryKey | None:
    i = bisect_right(times, placed_at)  # messages at exactly t count (m <= t)
    if i == 0 or placed_at - times[i - 1] > window:
        return None
    _, agent_id, day = found[bisect_left(times, times[i - 1])]  # smallest agent_id then
    return (agent_id, day)


def attribute(orders: Iterable[Order], found: Sequence[Touch], window: timedelta) -> None:
    """Set every order's credited inquiry, or None for a silent order (静默下单)."""
    times = [t[0] for t in found]
    for o in orders:
        o.attributed = _credit(o.placed_at, found, times, window) if found else None


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
    messages = draft.messages
    last = messages[-1].sent_at
    converted = any(o.paid_at is not None for o in credited) if credited else False
    return Consultation(
        draft.agent_id,
        draft.day,
        kind,
        messages[0].sent_at,  # first_buyer_at
        last,  # last_buyer_at
        tuple(map(_EVENT_ID, messages)),
        draft.replied,
        tuple(sorted(map(_ORDER_ID, credited))) if credited else (),
        bool(credited),  # ordered
        converted,
        kind == "presale" and not converted and watermark - last > window,  # lost
    )
