"""The `review.bad` notification and its withdrawal (SPEC §11), as the after-batch hooks see
them (pure): an order's current review, with the bad reviews it replaced.

`review.bad` is sent once per order and review event, when the order's review (its latest)
is bad; its id derives from (shop, order, review event), so re-deriving the order never
sends it twice. `review.bad.withdrawn` is sent when the order's review is no longer bad,
once for every bad review of the order that was notified; its id derives from the bad
review it withdraws. A bad review that never was the order's review (a later one had
already arrived) is never notified, hence never withdrawn.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.links import transcript_url


def _digest(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def bad_event_id(shop_id: str, order_id: str, review_event_id: str) -> str:
    return _digest("evt_rb_", shop_id, order_id, review_event_id)


def withdrawn_event_id(shop_id: str, order_id: str, bad_review_event_id: str) -> str:
    return _digest("evt_rbw_", shop_id, order_id, bad_review_event_id)


@dataclass(frozen=True, slots=True)
class ReviewNotice:
    """A reviewed order whose review is bad, or that has bad reviews before its review."""

    order_id: str
    buyer_id: str  # the order's buyer
    placed_at: datetime
    review_event_id: str
    posted_at: datetime
    day: date  # local day of posted_at
    rating: str
    text: str
    dsr: dict[str, int]
    agent_id: str | None  # the service agent; None for a silent order
    inquiry_day: date | None
    transcript_from: date  # local day aftersale_lookback days before placement
    earlier_bad: tuple[str, ...]  # event ids of the order's bad reviews before this one

    @property
    def is_bad(self) -> bool:
        return self.rating == "bad"

    def review(self) -> dict[str, Any]:
        return {
            "event_id": self.review_event_id,
            "posted_at": self.posted_at.isoformat(),
            "day": self.day.isoformat(),
            "rating": self.rating,
            "text": self.text,
            "dsr": self.dsr,
        }

    def data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "buyer_id": self.buyer_id,
            "placed_at": self.placed_at.isoformat(),
            "review": self.review(),
            "agent_id": self.agent_id,
            "inquiry_day": self.inquiry_day.isoformat() if self.inquiry_day else None,
            "transcript": transcript_url(self.buyer_id, self.transcript_from, self.day),
        }

    def withdrawal_data(self, bad_review_event_id: str) -> dict[str, Any]:
        """The order's data with its current (no longer bad) review, and the bad review
        event the withdrawal is about."""
        return {**self.data(), "withdrawn_review_event_id": bad_review_event_id}
