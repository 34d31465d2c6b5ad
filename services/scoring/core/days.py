"""Local calendar days in a shop's IANA time zone (SPEC §3: every "day" is local)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

# (instant, fold, zone name) -> local date. Memoising the pure conversion is exact: aware
# datetimes compare equal only as the same instant -- except two wall times of one tzinfo
# that differ only by `fold` (PEP 495), hence fold in the key. A buyer's re-derivation
# asks for the same messages' days over and over.
_DAYS: dict[tuple[datetime, int, str], date] = {}
_MAX_DAYS = 1 << 18


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """ZoneInfo lookups hit the tz database; shops reuse a handful of zones."""
    return ZoneInfo(name)


def local_day(instant: datetime, timezone: str) -> date:
    """The shop-local calendar date of an aware instant, whatever offset it was sent with."""
    key = (instant, instant.fold, timezone)
    day = _DAYS.get(key)
    if day is not None:
        return day
    if instant.tzinfo is None:
        # A naive timestamp is invalid per SPEC §2; failing loudly beats guessing UTC.
        raise ValueError(f"naive datetime {instant!r}: timestamps must carry an offset")
    day = instant.astimezone(zone(timezone)).date()
    if len(_DAYS) >= _MAX_DAYS:
        _DAYS.clear()  # bounded: a cold cache only costs the conversions again
    _DAYS[key] = day
    return day
