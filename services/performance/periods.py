"""ISO weeks and calendar months of local days (SPEC §3: weeks are ISO, Monday first).

A period is a closed range of shop-local dates; agent_daily rows already carry the local
day, so a period's metrics are the sum of the rows with first <= day <= last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from .errors import PeriodError

PeriodKind = Literal["week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("week", "month")

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """An ISO week (first = its Monday) or a calendar month (first = its 1st)."""

    kind: PeriodKind
    first: date

    @property
    def last(self) -> date:
        if self.kind == "week":
            return self.first + timedelta(days=6)
        return _next_month(self.first) - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return f"{self.first.year:04d}-{self.first.month:02d}"

    def previous(self) -> Period:
        if self.kind == "week":
            return Period("week", self.first - timedelta(days=7))
        return month_of(self.first - timedelta(days=1))

    def previous_n(self, n: int) -> list[Period]:
        """The n periods before this one, most recent first."""
        out: list[Period] = []
        current = self
        for _ in range(n):
            current = current.previous()
            out.append(current)
        return out

    def __str__(self) -> str:
        return self.label


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def week_of(day: date) -> Period:
    return Period("week", day - timedelta(days=day.weekday()))


def month_of(day: date) -> Period:
    return Period("month", day.replace(day=1))


# Years outside keep every previous/next period (baselines go back up to 52) a valid date.
MIN_YEAR, MAX_YEAR = 1900, 9998


def parse_period(label: str) -> Period:
    """`2026-W46` (ISO year and week) or `2026-11`; anything else raises PeriodError."""
    years = re.match(r"\d{4}", label)
    if years and not MIN_YEAR <= int(years[0]) <= MAX_YEAR:
        raise PeriodError(f"{label!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    week = _WEEK.fullmatch(label)
    if week:
        year, number = int(week[1]), int(week[2])
        try:
            # fromisocalendar rejects week 0, week 54 and week 53 of 52-week years.
            return Period("week", date.fromisocalendar(year, number, 1))
        except ValueError:
            raise PeriodError(f"{label!r}: ISO year {year} has no week {number}") from None
    month = _MONTH.fullmatch(label)
    if month:
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise PeriodError(f"{label!r}: month must be 01-12") from None
        return Period("month", date(year, number, 1))
    raise PeriodError(
        f"{label!r} is not a period: use an ISO week like 2026-W46 or a month like 2026-11"
    )
