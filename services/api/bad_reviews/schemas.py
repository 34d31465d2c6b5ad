"""Bad reviews (差评): the manager's daily list (SPEC §11 review work)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ..review_marks.schemas import MarkView


class ReviewOut(BaseModel):
    """The order's review: its latest review.posted (a changed review replaces it)."""

    event_id: str
    posted_at: datetime
    day: date = Field(description="Local day of posted_at: the review counts on it")
    rating: str = Field(examples=["bad"])
    text: str
    dsr: dict[str, int] = Field(
        description="DSR scores 1–5 the buyer gave (item, service, logistics; absent = none)"
    )


class BadReviewOut(BaseModel):
    order_id: str
    buyer_id: str = Field(description="The order's buyer (of its placing event)")
    placed_at: datetime
    agent_id: str | None = Field(
        description="The service agent: the agent of the inquiry the order is attributed to; "
        "null for a silent order (静默下单)"
    )
    inquiry_day: date | None = Field(description="The attributed inquiry's local day")
    review: ReviewOut
    transcript_url: str = Field(
        description="The buyer's transcripts from aftersale_lookback days before the order's "
        "placement to the review's day",
        examples=["/v1/buyers/b1/transcript?from=2026-10-27&to=2026-11-14"],
    )
    mark: MarkView | None = Field(
        description="The manager's mark (PUT /v1/review-marks/bad-reviews); null: none"
    )
