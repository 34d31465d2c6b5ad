"""ISO weeks and months: labels, bounds, previous periods, bad labels."""

from __future__ import annotations

from datetime import date

import pytest

from services.performance.errors import PeriodError
from services.performance.periods import month_of, parse_period, week_of


def test_iso_week_bounds_and_label() -> None:
    w = parse_period("2026-W46")
    assert (w.kind, w.first, w.last, w.label) == (
        "week",
        date(2026, 11, 9),
        date(2026, 11, 15),
        "2026-W46",
    )
    # 2027-01-01 is a Friday in ISO week 53 of 2026 (SPEC §10).
    assert week_of(date(2027, 1, 1)).label == "2026-W53"
    assert parse_period("2026-W53").last == date(2027, 1, 3)
    assert parse_period("2026-W01").previous().label == "2025-W52"


def test_month_bounds_and_previous() -> None:
    m = parse_period("2026-02")
    assert (m.first, m.last) == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2028-02").last == date(2028, 2, 29)
    assert parse_period("2026-01").previous().label == "2025-12"
    assert [p.label for p in parse_period("2026-03").previous_n(3)] == [
        "2026-02",
        "2026-01",
        "2025-12",
    ]
    assert month_of(date(2026, 12, 31)).label == "2026-12"


@pytest.mark.parametrize(
    "label",
    [
        "2026-W54",
        "2025-W53",
        "2026-W00",
        "2026-13",
        "2026-00",
        "2026-w46",
        "2026-1",
        "26-11",
        "2026-11-01",
        "",
        "week",
        "0001-01",
        "0001-W01",
        "9999-12",
        "1899-12",
    ],
)
def test_bad_periods_are_rejected(label: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(label)
