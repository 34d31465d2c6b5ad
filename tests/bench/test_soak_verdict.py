"""The soak's verdict (bench/soak.py `judge`): judged from the warm-up's end, and a
backlog that grows, a latency that climbs or a cache that keeps growing fail it."""

from __future__ import annotations

import pytest

from bench import soak

MINUTES = 8  # rows of a run; the warm row is a quarter in (minute 2 at 60 s rows)
WARM_RSS = {"ingest": 100.0, "scoring": 400.0, "api": 120.0, "webhooks": 80.0}


@pytest.fixture(autouse=True)
def _eight_minutes_at_2000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(soak, "MINUTES", float(MINUTES))
    monkeypatch.setattr(soak, "MINUTE_S", 60.0)
    monkeypatch.setattr(soak, "RATE", 2000.0)


def _run(**change: list[float]) -> dict[str, bool]:
    rss = [dict(WARM_RSS, scoring=250.0)] + [dict(WARM_RSS) for _ in range(MINUTES - 1)]
    for i, value in enumerate(change.get("scoring_rss", [])):
        rss[i]["scoring"] = value
    p99s = change.get("p99s", [1.0] * MINUTES)
    lags = change.get("lags", [2_000.0] * MINUTES)
    rates = change.get("rates", [1_900.0] + [2_000.0] * (MINUTES - 1))
    return soak.judge(soak.Run({"api errors": 0}, rss, p99s, lags, rates))


def test_a_steady_run_meets_every_part_though_minute_one_warmed_up() -> None:
    assert soak.warm_row(MINUTES) == 2
    assert all(_run().values())  # scoring 250 → 400 MB in minute 1 is the warm-up


def test_growth_after_the_warm_up_fails_its_part() -> None:
    growing = [250.0, 400.0, 410.0, 420.0, 430.0, 440.0, 450.0, 460.0]
    assert _run(scoring_rss=growing)["rss"] is False
    assert _run(lags=[2_000.0 * k for k in range(1, MINUTES + 1)])["lag held"] is False
    assert _run(p99s=[1.0] * (MINUTES - 1) + [9.0])["p99 flat"] is False
    assert _run(rates=[2_000.0] * (MINUTES - 1) + [1_500.0])["producers"] is False
    assert (
        soak.judge(
            soak.Run(
                {"api errors": 1},
                [WARM_RSS] * MINUTES,
                [1.0] * MINUTES,
                [0.0] * MINUTES,
                [2_000.0] * MINUTES,
            )
        )["no errors"]
        is False
    )
