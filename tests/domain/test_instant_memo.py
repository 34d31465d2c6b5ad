"""Memos keyed by instants (domain/instant_memo.py): bounded at two generations, what is
asked again survives a generation change, and the days and openings they give are the
computed ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.days import ZoneDays

T0 = datetime(2026, 11, 11, 15, 59, 59, tzinfo=UTC)


def _at(i: int) -> datetime:
    return T0 + timedelta(microseconds=i)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(ZoneDays, "GENERATION", 100)
    return 100


def test_never_more_than_two_generations(small: int) -> None:
    days = ZoneDays("Asia/Shanghai")
    for i in range(10 * small):
        assert days[_at(i * 1_000_000)] == _at(i * 1_000_000).astimezone(days.tz).date()
        assert len(days) + len(days._older) <= 2 * small
    assert len(days) == small and len(days._older) == small


def test_an_instant_asked_again_survives_the_generation_change(small: int) -> None:
    days = ZoneDays("Asia/Shanghai")
    hot = _at(-1)
    for i in range(5 * small):
        days[_at(i)]
        assert days[hot] == hot.astimezone(days.tz).date()  # asked between all the others
        assert hot in days or hot in days._older
    # a cleared memo (the bound before: clear all when full) would have lost it each time
    assert hot in days


def test_a_value_from_the_older_generation_is_the_stored_one(small: int) -> None:
    days = ZoneDays("Asia/Shanghai")
    first = [days[_at(i)] for i in range(small)]
    days[_at(small)]  # the first generation becomes the older one
    assert len(days._older) == small and len(days) == 1
    assert [days[_at(i)] for i in range(small)] == first
