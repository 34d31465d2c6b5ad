"""Webhook subscriptions and deliveries as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal[
    "alert.breached",
    "alert.resolved",
    "qa.violation",
    "qa.violation.withdrawn",
    "review.bad",
    "review.bad.withdrawn",
]
DeliveryStatus = Literal["pending", "delivering", "delivered", "failed"]

_URL = Field(
    min_length=8,
    max_length=2000,
    examples=["https://hooks.example.com/kefu"],
    description="https:// (or http://) URL; private, loopback and link-local addresses are "
    "refused unless the operator allows them",
)


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = _URL
    event_types: list[EventType] = Field(min_length=1, examples=[["alert.breached"]])
    description: str = Field(default="", max_length=500)


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=8, max_length=2000)
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None


class SubscriptionOut(BaseModel):
    subscription_id: str
    url: str
    event_types: list[EventType]
    description: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        description="after a rotation, the old secret also signs (a second signature) until then"
    )


class SubscriptionWithSecret(SubscriptionOut):
    secret: str = Field(
        description="whsec_<base64>: verify `webhook-signature` with it (Standard Webhooks). "
        "Shown only now; rotate to get a new one.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class AttemptOut(BaseModel):
    attempt_no: int
    started_at: datetime
    finished_at: datetime | None = Field(description="null while in flight")
    duration_ms: int | None
    status_code: int | None = Field(description="the receiver's HTTP status; null if none")
    error: str | None = Field(description="why the attempt failed; null on success")


class DeliveryOut(BaseModel):
    delivery_id: str
    subscription_id: str
    event_id: str = Field(description="the `webhook-id` header: the same on every attempt")
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="when pending: the next try")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class EventOut(BaseModel):
    id: str
    type: EventType
    shop_id: str
    created_at: datetime
    data: dict[str, Any]


class DeliveryDetail(DeliveryOut):
    event: EventOut = Field(description="the payload POSTed (as JSON)")
    attempt_log: list[AttemptOut]
