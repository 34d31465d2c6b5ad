"""Shop settings (SPEC §3) and QA rule configuration (SPEC §6), with their defaults.

Both are built from JSON-able override dicts (what the API stores) and validate what they
are given, so that a bad override fails at the API with a readable message instead of
inside the scoring worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from .business_hours import BusinessHours, parse_setting
from .days import zone


@dataclass(frozen=True, slots=True)
class ShopSettings:
    timezone: str = "Asia/Shanghai"
    session_gap_seconds: int = 1800
    attribution_window_seconds: int = 259200
    aftersale_lookback_days: int = 15
    slow_reply_seconds: int = 30
    reminder_window_seconds: int = 86400
    raw_retention_days: int = 400
    currency: str = "CNY"
    # SPEC §11: None = always open. Given as its JSON object, kept parsed (hashable).
    business_hours: BusinessHours | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "business_hours", parse_setting(self.business_hours))
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "business_hours":
                continue
            if f.type in ("int", int):
                # bool is an int subclass; `true` for a number of seconds is a mistake.
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"setting {f.name} must be a non-negative integer")
            elif not isinstance(value, str) or not value:
                raise ValueError(f"setting {f.name} must be a non-empty string")
        try:
            zone(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {self.timezone!r}") from exc

    @classmethod
    def from_dict(cls, overrides: Mapping[str, Any] | None = None) -> ShopSettings:
        overrides = dict(overrides or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown shop settings {unknown}; known: {sorted(known)}")
        return cls(**overrides)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        hours = self.business_hours
        out["business_hours"] = None if hours is None else hours.to_json()
        return out

    # timedelta views: all the core's comparisons are exact timedelta arithmetic.
    @property
    def session_gap(self) -> timedelta:
        return timedelta(seconds=self.session_gap_seconds)

    @property
    def attribution_window(self) -> timedelta:
        return timedelta(seconds=self.attribution_window_seconds)

    @property
    def aftersale_lookback(self) -> timedelta:
        # An exact 15 x 24 h span, not 15 local calendar days (see docs/definitions.md).
        return timedelta(days=self.aftersale_lookback_days)

    @property
    def slow_reply_us(self) -> int:
        return self.slow_reply_seconds * 1_000_000

    @property
    def reminder_window(self) -> timedelta:
        return timedelta(seconds=self.reminder_window_seconds)
