"""The memoised local-day lookup (core/days.py) is exact: fold, offsets, naive input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from domain.days import local_day

NEW_YORK = ZoneInfo("America/New_York")
# UTC-6 (POSIX sign): its midnight falls between the two readings of 01:30 on the day New
# York leaves DST (05:30 UTC and 06:30 UTC).
SHOP = "Etc/GMT+6"


@pytest.mark.parametrize("first_fold", [0, 1])
def test_wall_times_differing_only_by_fold_get_their_own_days(first_fold: int) -> None:
    # Intra-zone, these two compare equal; as instants they are an hour apart.
    wall = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
    days = {0: date(2026, 10, 31), 1: date(2026, 11, 1)}
    for fold in (first_fold, 1 - first_fold, first_fold):
        assert local_day(wall.replace(fold=fold), SHOP) == days[fold]


def test_one_instant_has_one_day_whatever_its_offset() -> None:
    utc = datetime(2026, 11, 11, 16, 30, tzinfo=UTC)  # 00:30 on the 12th in Shanghai
    plus8 = utc.astimezone(timezone(timedelta(hours=8)))
    minus5 = utc.astimezone(timezone(timedelta(hours=-5)))
    assert {local_day(t, "Asia/Shanghai") for t in (utc, plus8, minus5)} == {date(2026, 11, 12)}
    assert local_day(utc, "UTC") == date(2026, 11, 11)  # another zone, another memo


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_day(datetime(2026, 11, 11, 12, 0), "Asia/Shanghai")
