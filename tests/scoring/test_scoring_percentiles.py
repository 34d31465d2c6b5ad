"""Response-time percentiles from derivation to rows (SPEC §11), hand-worked."""

from __future__ import annotations

from datetime import date

from domain.metrics import agent_row
from domain.spread import Spread
from tests.scoring.recompute import recompute
from tests.scoring.scoring_builders import agent, buyer, t


def _row(totals, agent_id: str, days: list[str]) -> dict:  # type: ignore[no-untyped-def]
    parts = None
    for d in days:
        key = ("s1", agent_id, date.fromisoformat(d))
        p = totals.agent_days[key]
        p.spread = Spread.of_times([totals.spreads[key]])
        parts = p if parts is None else parts + p
    return agent_row(parts)


def test_percentiles_of_one_day_and_of_two_days_merged() -> None:
    # 11-11, buyer b1 with A: questions answered after 10 s, 40 s and 20 s (one session:
    # buyer/agent alternate) -> responses {10, 20, 40}; first response 10.
    # n = 3: p50 = ⌈1.5⌉ = 2nd = 20; p90 = ⌈2.7⌉ = 3rd = 40; p50 first = 10.
    # 11-12, buyer b2 with A: one question answered after 5.000001 s (µs exact).
    # Merged: {5.000001, 10, 20, 40}, n = 4: p50 = 2nd = 10; p90 = ⌈3.6⌉ = 4th = 40;
    # first responses {10, 5.000001}: p50 = 1st = 5.000001 (never a mean of the days).
    d1 = "2026-11-11 10:00:00"
    events = [
        buyer(t(d1)),
        agent(t(d1, 10)),
        buyer(t(d1, 60)),
        agent(t(d1, 100)),
        buyer(t(d1, 200)),
        agent(t(d1, 220)),
        buyer(t("2026-11-12 09:00:00"), b="b2"),
        agent(t("2026-11-12 09:00:05.000001"), b="b2"),
    ]
    totals = recompute(events)
    one = _row(totals, "A", ["2026-11-11"])
    assert (one["p50_response_seconds"], one["p90_response_seconds"]) == (20.0, 40.0)
    assert one["p50_first_response_seconds"] == 10.0
    both = _row(totals, "A", ["2026-11-11", "2026-11-12"])
    assert (both["p50_response_seconds"], both["p90_response_seconds"]) == (10.0, 40.0)
    assert both["p50_first_response_seconds"] == 5.000001
    assert both["avg_response_seconds"] == (10 + 40 + 20 + 5.000001) / 4


def test_a_response_counts_on_its_questions_day_and_unanswered_ones_nowhere() -> None:
    # Question 23:59:50 on 11-11, answered 00:00:20 on 11-12 (30 s) -> 11-11's values.
    # The 11-12 question is never answered -> no value, no row for the percentiles.
    events = [
        buyer(t("2026-11-11 23:59:50")),
        agent(t("2026-11-12 00:00:20")),
        buyer(t("2026-11-12 00:01:00")),
    ]
    totals = recompute(events)
    assert set(totals.spreads) == {("s1", "A", date(2026, 11, 11))}
    assert totals.spreads[("s1", "A", date(2026, 11, 11))].responses == {30_000_000: 1}
