"""A buyer's conversation: messages, sessions with responses, QA violations marked."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ViolationMark(BaseModel):
    rule: str
    message_event_id: str | None
    occurrences: int
    penalty: int
    detail: str | None


class TranscriptMessage(BaseModel):
    event_id: str
    sender: str = Field(description="buyer, agent, bot or system")
    agent_id: str | None
    sent_at: datetime
    msg_type: str
    text: str
    message_id: str | None
    counted: bool = Field(
        description="false for bot/system messages and messages not yet routed to an agent: "
        "they are shown but never count for an agent"
    )
    violations: list[str] = Field(description="QA rules this message violated")


class TranscriptResponse(BaseModel):
    question_event_id: str
    response_event_id: str | None = Field(description="null: unanswered")
    response_seconds: float | None


class TranscriptSession(BaseModel):
    agent_id: str
    started_at: datetime
    ended_at: datetime
    day: date
    closed: bool
    buyer_messages: int = Field(description="买家消息数: the buyer's messages in the session")
    agent_messages: int = Field(description="客服消息数: the agent's messages in the session")
    qa_score: int | None = Field(description="Scored once the session is closed")
    responses: list[TranscriptResponse]
    violations: list[ViolationMark]


class TranscriptOrderEvent(BaseModel):
    event_id: str
    type: str
    order_id: str
    occurred_at: datetime
    amount: str | None


class Transcript(BaseModel):
    model_config = {"populate_by_name": True}

    buyer_id: str
    from_: date = Field(alias="from")
    to: date
    timezone: str
    messages: list[TranscriptMessage]
    sessions: list[TranscriptSession]
    orders: list[TranscriptOrderEvent]
    truncated: bool = Field(description="true when only the first messages are shown")
