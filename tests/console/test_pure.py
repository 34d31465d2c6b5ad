"""The console's pure parts: the period picker, value formatting, sparklines, the
sign-in throttle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.catalogue import CATALOGUE
from services.api.console.formatting import shown
from services.api.console.periods import period_of
from services.api.console.sparkline import bars, points
from services.api.console.throttle import MAX_FAILURES, WINDOW, SignInThrottle

WEDNESDAY = date(2026, 12, 30)


def test_period_picker() -> None:
    def span(choice: str, **custom: date) -> tuple[date, date, str | None]:
        p = period_of(choice, WEDNESDAY, custom.get("start"), custom.get("end"))
        return p.start, p.end, p.target_label

    assert span("today") == (WEDNESDAY, WEDNESDAY, None)
    assert span("yesterday")[:2] == (date(2026, 12, 29), date(2026, 12, 29))
    assert span("this_week") == (date(2026, 12, 28), date(2027, 1, 3), "2026-W53")
    assert span("last_week") == (date(2026, 12, 21), date(2026, 12, 27), "2026-W52")
    assert span("this_month") == (date(2026, 12, 1), date(2026, 12, 31), "2026-12")
    assert span("last_month") == (date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    assert span("custom", start=date(2026, 2, 1), end=date(2026, 2, 28))[2] == "2026-02"
    backwards = span("custom", start=date(2026, 3, 2), end=date(2026, 3, 1))
    assert backwards == span("this_week"), "an unusable custom range falls back"
    assert span("nonsense") == span("this_week")


def test_values_per_language() -> None:
    assert shown(CATALOGUE["sales_amount"], "1234.50", "zh", "CNY") == "¥1,234.50"
    assert shown(CATALOGUE["sales_amount"], "9.00", "en", "USD") == "$9.00"
    assert shown(CATALOGUE["inquiry_conversion_rate"], 0.41666, "zh", "CNY") == "41.7 %"
    assert shown(CATALOGUE["avg_response_seconds"], 12.34, "zh", "CNY") == "12.3 秒"
    assert shown(CATALOGUE["avg_response_seconds"], 125, "en", "CNY") == "2 min 5 s"
    assert shown(CATALOGUE["inquiries"], 12345, "en", "CNY") == "12,345"
    assert shown(CATALOGUE["answer_ratio"], 1.234, "en", "CNY") == "1.23"
    assert shown(CATALOGUE["inquiries"], None, "zh", "CNY") == "—"


def test_sparkline_points() -> None:
    assert points([None, None]) == ""
    line = points([0.1, None, 0.3], width=100, height=24)
    assert line == "0.0,22.0 100.0,2.0"
    assert len(points([0.5]).split()) == 2, "one known day still draws a dash"
    assert bars([0, 2, None, 4], height=60) == [0.0, 30.0, 0.0, 60.0]


def test_throttle_counts_failures_in_a_window() -> None:
    now = [datetime(2026, 11, 23, tzinfo=UTC)]
    throttle = SignInThrottle(lambda: now[0])
    keys = ("email:a@x", "addr:1")
    for _ in range(MAX_FAILURES - 1):
        throttle.failed(*keys)
    assert not throttle.blocked(*keys)
    throttle.failed(*keys)
    assert throttle.blocked(*keys)
    assert not throttle.blocked("email:b@x", "addr:1"), "the address allows more"
    now[0] += WINDOW + timedelta(seconds=1)
    assert not throttle.blocked(*keys), "old failures are forgotten"
    throttle.failed(*keys)
    throttle.succeeded("email:a@x")
    assert not throttle.blocked(*keys)
