"""Periods of a metrics query: validated local-date ranges and their row labels."""

from __future__ import annotations

from datetime import date, timedelta

from shared.rollup_reader import Granularity

from ..exceptions import Unprocessable

__all__ = ["MAX_RANGE_DAYS", "Granularity", "check_optional_range", "check_range"]

MAX_RANGE_DAYS = 400  # about the raw-event retention: older numbers cannot be rescored

EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def check_range(start: date, end: date, max_days: int = MAX_RANGE_DAYS) -> int:
    """Days in [start, end]; 422 naming the parameter when the range is unusable."""
    for name, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            raise Unprocessable.field(
                ["query", name], f"{name} must be between {EARLIEST} and {LATEST}"
            )
    if start > end:
        raise Unprocessable.field(["query", "from"], f"from ({start}) is after to ({end})")
    days = (end - start).days + 1
    if days > max_days:
        raise Unprocessable.field(
            ["query", "to"],
            f"the range holds {days} days; at most {max_days} per request: split it "
            f"(from={start}&to={start + timedelta(max_days - 1)} first, then the rest)",
        )
    return days


def check_optional_range(start: date | None, end: date | None) -> None:
    """A list's optional from/to: checked as a range when both are given."""
    if start is not None and end is not None:
        check_range(start, end)
