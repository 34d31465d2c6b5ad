"""QA rule settings (SPEC §6): per rule enabled / penalty / notify / params."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt


class RuleOverride(BaseModel):
    """What to change of one rule; omitted fields keep the SPEC default."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    penalty: NonNegativeInt | None = Field(default=None, le=100)
    notify: bool | None = None
    params: dict[str, Any] | None = Field(
        default=None,
        description="min_reply_length: min_chars; min_emojis: min_count; greeting: phrases; "
        "forbidden_words: words",
    )


class QaRulesIn(BaseModel):
    """The shop's overrides of the default rules; PUT replaces all earlier overrides."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "forbidden_words": {"params": {"words": ["滚", "爱买不买"]}},
                    "min_emojis": {"enabled": False},
                }
            ]
        },
    )

    closing_by_agent: RuleOverride | None = None
    min_reply_length: RuleOverride | None = None
    min_emojis: RuleOverride | None = None
    greeting: RuleOverride | None = None
    slow_reply: RuleOverride | None = None
    unanswered: RuleOverride | None = None
    forbidden_words: RuleOverride | None = None


class RuleConfigOut(BaseModel):
    enabled: bool
    penalty: int
    notify: bool
    params: dict[str, Any]


class QaRulesOut(BaseModel):
    """Every rule in effect (defaults with the shop's overrides)."""

    closing_by_agent: RuleConfigOut
    min_reply_length: RuleConfigOut
    min_emojis: RuleConfigOut
    greeting: RuleConfigOut
    slow_reply: RuleConfigOut
    unanswered: RuleConfigOut
    forbidden_words: RuleConfigOut
