"""Marks on the manager's daily lists: a cause, a note and whether it was reviewed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.review_work import MAX_NOTE, Cause

from ..performance.params import NO_NUL

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=NO_NUL)]


class MarkFields(BaseModel):
    """What a manager writes about one list entry; a PUT replaces all three."""

    model_config = ConfigDict(extra="forbid")

    cause: Cause | None = Field(
        default=None, description="Why it was lost or reviewed badly; null: not decided yet"
    )
    note: str = Field(default="", max_length=MAX_NOTE, pattern=NO_NUL)
    reviewed: bool = Field(default=False, description="The manager has been through it")


class MarkView(MarkFields):
    """A mark as the lists show it."""

    model_config = ConfigDict(extra="ignore")

    created_at: datetime
    updated_at: datetime


class LostInquiryKey(BaseModel):
    """An inquiry, as /v1/inquiries lists it: (agent, buyer, local day)."""

    agent_id: Id
    buyer_id: Id
    day: date = Field(description="The inquiry's local day")


class LostInquiryMarkIn(MarkFields, LostInquiryKey):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "agent_id": "小美",
                    "buyer_id": "tb_buyer_1",
                    "day": "2026-11-11",
                    "cause": "price",
                    "note": "嫌贵, 等双十二",
                    "reviewed": True,
                }
            ]
        },
    )


class LostInquiryMark(MarkView, LostInquiryKey):
    pass


class BadReviewMarkIn(MarkFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"order_id": "o-1001", "cause": "logistics", "note": "", "reviewed": False}
            ]
        },
    )

    order_id: Id


class BadReviewMark(MarkView):
    order_id: str
