"""The team page's period picker: a choice and the shop-local today → [start, end]."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

Choice = Literal[
    "today", "yesterday", "this_week", "last_week", "this_month", "last_month", "custom"
]
CHOICES: tuple[Choice, ...] = get_args(Choice)
LABELS: dict[Choice, tuple[str, str]] = {
    "today": ("今天", "today"),
    "yesterday": ("昨天", "yesterday"),
    "this_week": ("本周", "this week"),
    "last_week": ("上周", "last week"),
    "this_month": ("本月", "this month"),
    "last_month": ("上月", "last month"),
    "custom": ("自定义", "custom"),
}
MAX_CUSTOM_DAYS = 400


@dataclass(frozen=True, slots=True)
class Period:
    choice: Choice
    start: date
    end: date

    @property
    def target_label(self) -> str | None:
        """The target period label ("2026-W49", "2026-12") when the range is exactly one
        ISO week or calendar month, else None (targets are set per week or month)."""
        if self.start.isoweekday() == 1 and self.end == self.start + timedelta(days=6):
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.start.day == 1 and self.end == _month_end(self.start):
            return f"{self.start.year}-{self.start.month:02d}"
        return None


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def period_of(
    choice: str | None, today: date, start: date | None = None, end: date | None = None
) -> Period:
    """The range of a choice (unknown ones: this week); custom needs start ≤ end within
    MAX_CUSTOM_DAYS, else it falls back to this week."""
    monday = today - timedelta(days=today.isoweekday() - 1)
    first = today.replace(day=1)
    ranges: dict[str, tuple[date, date]] = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "this_week": (monday, monday + timedelta(days=6)),
        "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": (first, _month_end(first)),
        "last_month": ((first - timedelta(days=1)).replace(day=1), first - timedelta(days=1)),
    }
    if choice == "custom" and start and end and 0 <= (end - start).days < MAX_CUSTOM_DAYS:
        return Period("custom", start, end)
    if choice not in ranges:
        choice = "this_week"
    lo, hi = ranges[choice]
    return Period(choice, lo, hi)  # type: ignore[arg-type]
