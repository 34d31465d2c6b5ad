"""Business hours (SPEC §11): when a shop is open, and the next opening after an instant.

The setting is `{"mon": [["09:00", "24:00"]], …, "sat": [["10:00", "18:00"]]}` in the
shop's time zone: optional weekday keys `mon` … `sun`, each a list of `[start, end)`
intervals, start `00:00` … `23:59`, end after start and up to `24:00`, no two intervals
of one day overlapping; a missing key (or an empty list) is a closed day; a value with no
interval on any day is refused. `None` is the default: always open.

A question asked while closed is timed from the next opening: the first later instant
that is open on the local wall clock (docs/business-hours.md for the readings of DST
edges).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from .instant_memo import InstantMemo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")
_MINUTE_US = 60_000_000
DAY_MINUTES = 24 * 60

Interval = tuple[int, int]  # [start, end) in minutes of the local day


def _minutes(text: Any, where: str) -> int:
    if not isinstance(text, str) or not _HHMM.fullmatch(text):
        raise ValueError(f'{where}: {text!r} is not a time "HH:MM" (00:00 … 24:00)')
    hours, minutes = int(text[:2]), int(text[3:])
    if hours == 24 and minutes:
        raise ValueError(f"{where}: {text!r} is past 24:00")
    return hours * 60 + minutes


def _interval(value: Any, where: str) -> Interval:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f'{where}: an interval is a pair ["HH:MM", "HH:MM"], got {value!r}')
    start, end = _minutes(value[0], f"{where} start"), _minutes(value[1], f"{where} end")
    if start >= DAY_MINUTES:
        raise ValueError(f"{where}: start {value[0]!r} must be 00:00 … 23:59")
    if end <= start:
        raise ValueError(f"{where}: end {value[1]!r} must be after start {value[0]!r}")
    return start, end


def _day(key: str, value: Any) -> tuple[Interval, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"business_hours.{key}: a list of intervals, got {value!r}")
    intervals = sorted(_interval(v, f"business_hours.{key}[{i}]") for i, v in enumerate(value))
    for (s1, e1), (s2, _) in pairwise(intervals):
        if s2 < e1:
            raise ValueError(
                f"business_hours.{key}: intervals {_text(s1)}–{_text(e1)} and {_text(s2)}–… overlap"
            )
    return tuple(intervals)


def _text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Open intervals per weekday (Monday = 0), sorted, in minutes of the local day."""

    days: tuple[tuple[Interval, ...], ...]

    @classmethod
    def parse(cls, value: Any) -> BusinessHours:
        """The setting's JSON value, validated: ValueError naming what to fix."""
        if not isinstance(value, Mapping):
            raise ValueError(
                'business_hours must be an object such as {"mon": [["09:00", "18:00"]]} '
                "or null (always open)"
            )
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"business_hours: unknown keys {unknown}; weekdays are {WEEKDAYS}")
        days = tuple(_day(key, value.get(key, ())) for key in WEEKDAYS)
        if not any(days):
            raise ValueError(
                "business_hours has no open interval on any day; use null for always open"
            )
        return cls(days)

    def to_json(self) -> dict[str, list[list[str]]]:
        return {
            key: [[_text(s), _text(e)] for s, e in intervals]
            for key, intervals in zip(WEEKDAYS, self.days, strict=True)
            if intervals
        }

    def next_opening(self, at: datetime, tz: ZoneInfo) -> datetime:
        """`at` itself when open then, else the first later instant that is open on the
        local wall clock."""
        local = at.astimezone(tz)
        day = local.date()
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        now_us = seconds * 1_000_000 + local.microsecond  # wall-clock time of day, µs
        for start, end in self.days[day.weekday()]:
            if start * _MINUTE_US <= now_us < end * _MINUTE_US:
                return at
        for ahead in range(8):
            d = day + timedelta(days=ahead)
            for start, _ in self.days[d.weekday()]:
                if ahead == 0 and start * _MINUTE_US <= now_us:
                    continue  # already past (and closed: not inside it)
                return _instant(d, start, tz)
        raise AssertionError("business hours with no interval")  # parse refuses these


class Openings(InstantMemo[datetime]):
    """instant -> hours.next_opening(instant, tz), memoised: a buyer's questions are timed
    again on every re-derivation of its whole history, so `openings[asked_at]` is one
    C-level lookup after the first. Keyed like domain.days.ZoneDays: only an instant with
    a fixed offset is stored (two wall times that differ only by `fold` compare equal);
    an equal key is the same instant, whose opening is the same instant (bounded:
    domain/instant_memo.py)."""

    __slots__ = ("hours", "tz")
    # One entry per question's instant: the questions of the buyers being re-derived
    # (the timeline cache's ~15 000 at the soak's rate) fit in a generation.
    GENERATION = 1 << 15

    def __init__(self, hours: BusinessHours, tz: ZoneInfo) -> None:
        super().__init__()
        self.hours = hours
        self.tz = tz

    def __missing__(self, at: datetime) -> datetime:
        recalled = self.recalled(at)
        if recalled is not None:
            return recalled
        opening = self.hours.next_opening(at, self.tz)
        if type(at.tzinfo) is timezone:  # the scoring shell reads timestamps in UTC
            self.keep(at, opening)
        return opening


def _instant(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The first instant at or after which the local wall clock reads `day` `minutes`.

    A wall time that exists once is that instant; one that a DST change repeats is its
    first occurrence; one that a DST change skips opens when the clock jumps past it."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    first = wall.replace(tzinfo=tz, fold=0)
    exact = first.astimezone(UTC)
    if exact.astimezone(tz).replace(tzinfo=None) == wall:
        return exact
    # Skipped: the jump lies between the two readings of the wall time; find the first
    # instant whose wall clock is at or past it.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = exact
    lo, hi = min(lo, hi), max(lo, hi)
    step = timedelta(microseconds=1)
    while hi - lo > step:
        mid = lo + (hi - lo) / 2  # timedelta arithmetic: whole microseconds
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def parse_setting(value: Any) -> BusinessHours | None:
    """The setting's value: None (always open), a BusinessHours, or its JSON form."""
    if value is None or isinstance(value, BusinessHours):
        return value
    return BusinessHours.parse(value)
