"""Local calendar days in a shop's IANA time zone (SPEC §3: every "day" is local)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from .instant_memo import InstantMemo


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """ZoneInfo lookups hit the tz database; shops reuse a handful of zones."""
    return ZoneInfo(name)


class ZoneDays(InstantMemo[date]):
    """instant -> local date in one zone, memoised: `days[instant]` is one C-level lookup
    on the hot path (a buyer's re-derivation asks for the same messages' days again and
    again), and a miss computes and stores the day (bounded: domain/instant_memo.py).

    Keying by the datetime alone is exact: aware datetimes compare equal as the same
    instant, except two wall times of one tzinfo that differ only by `fold` (PEP 495) --
    so a wall time whose offset depends on fold is never stored, only computed.
    """

    __slots__ = ("tz",)
    # One entry per message's instant: a generation holds about the timeline cache's
    # events (services/scoring/timeline_cache.py).
    GENERATION = 1 << 16

    def __init__(self, name: str) -> None:
        super().__init__()
        self.tz = zone(name)

    def __missing__(self, instant: datetime) -> date:
        recalled = self.recalled(instant)
        if recalled is not None:
            return recalled
        given = instant.tzinfo  # the instant's own zone or offset, not the shop's
        if given is None:
            # A naive timestamp is invalid per SPEC §2; failing loudly beats guessing UTC.
            raise ValueError(f"naive datetime {instant!r}: timestamps must carry an offset")
        day = instant.astimezone(self.tz).date()
        # A fixed offset never depends on fold: the common case (the scoring shell reads
        # timestamps in UTC) skips the check.
        if type(given) is timezone or (
            instant.utcoffset() == instant.replace(fold=1 - instant.fold).utcoffset()
        ):
            self.keep(instant, day)
        return day


@lru_cache(maxsize=256)
def zone_days(timezone: str) -> ZoneDays:
    """The (process-wide) day memo of a zone; look days up as `zone_days(tz)[instant]`."""
    return ZoneDays(timezone)


def local_day(instant: datetime, timezone: str) -> date:
    """The shop-local calendar date of an aware instant, whatever offset it was sent with."""
    return zone_days(timezone)[instant]
