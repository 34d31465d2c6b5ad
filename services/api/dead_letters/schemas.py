"""Dead letters: rejected events with their reason and original bytes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class DeadLetterOut(BaseModel):
    id: int
    shop_id: str = Field(description="The shop the event claims ('' when unreadable)")
    reason: str = Field(examples=["unknown_shop"])
    detail: str
    event_id: str | None
    src_topic: str
    src_partition: int
    src_offset: int
    created_at: datetime
    replayed_at: datetime | None
    replay_result: str | None


class DeadLetterDetail(DeadLetterOut):
    raw_base64: str = Field(description="The original message bytes")
    raw_text: str | None = Field(description="The bytes as UTF-8, when they decode")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"shop_id": "tmall-8812", "reasons": ["unknown_shop"]}]},
    )

    shop_id: str = Field(max_length=128, description="Replay this shop's dead letters")
    reasons: list[str] = Field(
        default=["unknown_shop"],
        min_length=1,
        max_length=50,
        description="Only these reasons (default: unknown_shop, replayable once registered)",
    )
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=10_000, description="Only these ids"
    )


class ReplayOut(BaseModel):
    replayed: int = Field(description="Re-produced to their original topic")
    skipped: int = Field(description="Marked, but had no bytes to re-produce")
    ids: list[int]
