"""Local calendar days in a shop's IANA time zone (SPEC §3: every "day" is local)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """ZoneInfo lookups hit the tz database; shops reuse a handful of zones."""
    return ZoneInfo(name)


def local_day(instant: datetime, timezone: str) -> date:
    """The shop-local calendar date of an aware instant, whatever offset it was sent with."""
    if instant.tzinfo is None:
        # A naive timestamp is invalid per SPEC §2; failing loudly beats guessing UTC.
        raise ValueError(f"naive datetime {instant!r}: timestamps must carry an offset")
    return instant.astimezone(zone(timezone)).date()
