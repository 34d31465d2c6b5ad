"""Shop API keys as the operator sees them: the secret only once, at creation."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "BI"}]})

    name: str = Field(default="", max_length=200, description="What the key is for")


class ApiKeyOut(BaseModel):
    id: str = Field(examples=["key_3f9a0c1d2e4b5a69"])
    shop_id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="Updated at most once a minute")


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(
        description="The secret; shown only in this response",
        examples=["kfs_x8Vq2m7hJcN0bq4o3TkWZr9aYp6sFvL1uEgD5nCiRtM"],
    )
