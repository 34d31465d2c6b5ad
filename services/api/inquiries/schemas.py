"""Inquiries (询单) by status: the lost-inquiry review list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.review_work import Cause

from ..review_marks.schemas import MarkView

InquiryStatus = Literal["lost", "pending", "converted", "ordered"]


class InquiryOut(BaseModel):
    buyer_id: str
    agent_id: str
    day: date = Field(description="The inquiry's local day")
    status: InquiryStatus
    first_buyer_at: datetime
    last_buyer_at: datetime
    order_ids: list[str] = Field(description="Orders attributed to the inquiry")
    transcript_url: str = Field(examples=["/v1/buyers/b1/transcript?from=2026-11-11&to=2026-11-11"])
    mark: MarkView | None = Field(
        description="The manager's review mark (PUT /v1/review-marks/lost-inquiries); null: none"
    )


@dataclass(frozen=True, slots=True)
class InquiryFilters:
    """What a list (or its file) holds: a shop's inquiries, narrowed by these."""

    shop_id: str
    status: InquiryStatus | None = None
    start: date | None = None  # the inquiry's local day, inclusive
    end: date | None = None
    agent_id: str | None = None
    cause: Cause | None = None
    reviewed: bool | None = None  # False: not yet reviewed, unmarked ones included
