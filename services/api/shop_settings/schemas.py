"""Shop settings (SPEC §3) as the API reads and writes them."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.business_hours import BusinessHours
from domain.settings import ShopSettings

# Strict: "1800" or true for a number of seconds is a mistake, not something to coerce.
PositiveInt = Annotated[int, Field(gt=0, le=10**9, strict=True)]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"{value!r} is not an IANA time zone name (e.g. 'Asia/Shanghai')")
    return value


class ShopSettingsPatch(BaseModel):
    """Settings to change; an omitted one is kept, `null` resets it to its default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"timezone": "Asia/Shanghai", "slow_reply_seconds": 45}]},
    )

    timezone: str | None = Field(default=None, max_length=64)
    session_gap_seconds: PositiveInt | None = None
    attribution_window_seconds: PositiveInt | None = None
    aftersale_lookback_days: PositiveInt | None = None
    slow_reply_seconds: PositiveInt | None = None
    reminder_window_seconds: PositiveInt | None = None
    raw_retention_days: PositiveInt | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    business_hours: dict[str, Any] | None = Field(
        default=None,
        description=(
            "SPEC §11: optional weekday keys mon … sun, each a list of [start, end) "
            'intervals "HH:MM" in the shop\'s time zone (end up to "24:00", no overlap in a '
            "day); a missing key is a closed day; null = always open. A question asked "
            "while closed is timed from the next opening."
        ),
        examples=[{"mon": [["09:00", "24:00"]], "sat": [["10:00", "18:00"]]}],
    )

    @field_validator("business_hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # The canonical form (sorted intervals): what is stored and shown back.
        return None if value is None else BusinessHours.parse(value).to_json()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class ShopSettingsOut(BaseModel):
    """Every setting in effect (overrides over the SPEC §3 defaults)."""

    # The example is the defaults themselves, written once in the shop settings.
    model_config = ConfigDict(json_schema_extra={"examples": [ShopSettings().to_dict()]})

    timezone: str
    session_gap_seconds: int
    attribution_window_seconds: int
    aftersale_lookback_days: int
    slow_reply_seconds: int
    reminder_window_seconds: int
    raw_retention_days: int
    currency: str
    business_hours: dict[str, list[list[str]]] | None
