"""Agents (shop sub-accounts) with their group, mentor and display name."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AgentOut(BaseModel):
    agent_id: str = Field(examples=["小美"])
    display_name: str | None
    group: str | None = Field(description="e.g. presale, aftersale, live")
    mentor_id: str | None = Field(description="The agent's mentor (师傅), an agent of the shop")
    first_seen_at: datetime
    updated_at: datetime


class AgentUpdate(BaseModel):
    """Fields to change; `null` clears one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"group": "presale", "mentor_id": "老王"}]},
    )

    display_name: str | None = Field(default=None, max_length=200)
    group: str | None = Field(default=None, min_length=1, max_length=100)
    mentor_id: str | None = Field(default=None, min_length=1, max_length=128)
