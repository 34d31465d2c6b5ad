"""Business hours (SPEC §11): validation and their effect on response times, hand-worked.

Shop hours (Asia/Shanghai): Mon–Thu 09:00–18:00; Fri 09:00–18:00 and 22:00–24:00; Sat
00:00–02:00 (Friday's late shift over midnight) and 10:00–14:00; Sun closed. 2026-11-09
is a Monday. A long session gap keeps an overnight answer in its question's session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.business_hours import BusinessHours, Openings
from domain.settings import ShopSettings
from services.scoring.core import ChatMessage
from tests.scoring.scoring_builders import FAR, agent, buyer, day_parts, derive, t

HOURS: dict[str, Any] = {
    **{d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu")},
    "fri": [["22:00", "24:00"], ["09:00", "18:00"]],
    "sat": [["00:00", "02:00"], ["10:00", "14:00"]],
}
OPEN = ShopSettings.from_dict({"business_hours": HOURS, "session_gap_seconds": 3 * 86400})
ALWAYS = ShopSettings.from_dict({"session_gap_seconds": 3 * 86400})
S = 1_000_000


def _times(q: str, a: str, settings: ShopSettings = OPEN, q_s: float = 0, a_s: float = 0) -> int:
    """response_us of one question asked at q (+q_s s) and answered at a (+a_s s)."""
    f = derive([buyer(t(q, q_s)), agent(t(a, a_s))], FAR, settings=settings)
    (question,) = f.sessions[0].questions
    assert question.response_us is not None
    return question.response_us


def test_a_question_at_opening_is_timed_from_when_it_was_asked() -> None:
    # Mon 09:00:00 is open ([start, end)): 20 s, as without hours.
    assert _times("2026-11-09 09:00:00", "2026-11-09 09:00:20") == 20 * S


def test_a_question_before_opening_is_timed_from_the_opening() -> None:
    # Mon 08:59:00, answered 09:00:30: 30 s from the 09:00 opening (90 s raw).
    assert _times("2026-11-09 08:59:00", "2026-11-09 09:00:30") == 30 * S
    assert _times("2026-11-09 08:59:00", "2026-11-09 09:00:30", ALWAYS) == 90 * S


def test_a_response_before_opening_took_no_time() -> None:
    # Mon 08:00 answered 08:05, opening 09:00: max(0, 08:05 − 09:00) = 0.
    assert _times("2026-11-09 08:00:00", "2026-11-09 08:05:00") == 0


def test_just_before_closing_the_clock_is_not_paused() -> None:
    # Mon 17:59:59.999999 is open: answered Tue 09:00:00 -> 15 h 0.000001 s, all counted.
    us = _times("2026-11-09 17:59:59", "2026-11-10 09:00:00", q_s=0.999999)
    assert us == (15 * 3600) * S + 1
    # Mon 18:00:00 is closed (end excluded): timed from Tue 09:00 -> 45 s.
    assert _times("2026-11-09 18:00:00", "2026-11-10 09:00:45") == 45 * S


def test_a_closed_day_waits_for_the_next_open_day_and_keeps_its_own_day() -> None:
    # Sun 11-15 10:00 (closed all day) answered Mon 11-16 09:01:00: 60 s from Mon 09:00.
    # The response counts on Sunday, the question's day (days are unchanged).
    f = derive(
        [buyer(t("2026-11-15 10:00:00")), agent(t("2026-11-16 09:01:00"))], FAR, settings=OPEN
    )
    sunday = day_parts(f, "A", "2026-11-15")
    assert (sunday.responses, sunday.response_us_sum, sunday.slow_responses) == (1, 60 * S, 1)
    assert f.spreads[("A", t("2026-11-15 00:00:00").date())].responses == {60 * S: 1}


def test_over_midnight_the_late_shift_is_one_open_stretch() -> None:
    # Fri 23:59:50 (open, 22:00–24:00) answered Sat 00:00:20 (open, 00:00–02:00): 30 s.
    assert _times("2026-11-13 23:59:50", "2026-11-14 00:00:20") == 30 * S
    # Fri 21:30 (closed) answered 22:00:10: 10 s from the 22:00 opening.
    assert _times("2026-11-13 21:30:00", "2026-11-13 22:00:10") == 10 * S
    # Sat 02:00:00 (closed: the shift ends) answered 10:00:05: 5 s from 10:00.
    assert _times("2026-11-14 02:00:00", "2026-11-14 10:00:05") == 5 * S


def test_slow_reply_and_slow_responses_use_the_business_hours_value() -> None:
    # slow_reply 30 s. Q1 Mon 08:59:00 answered 09:00:30 -> 30 s: not slow (raw 90 s).
    # Q2 08:59:00 on Tue answered 09:00:31 -> 31 s: slow, one slow_reply violation.
    settings = ShopSettings.from_dict(
        {"business_hours": HOURS, "session_gap_seconds": 3 * 86400, "slow_reply_seconds": 30}
    )
    ok = derive(
        [buyer(t("2026-11-09 08:59:00")), agent(t("2026-11-09 09:00:30"))], FAR, settings=settings
    )
    slow = derive(
        [buyer(t("2026-11-10 08:59:00")), agent(t("2026-11-10 09:00:31"))], FAR, settings=settings
    )
    assert day_parts(ok, "A", "2026-11-09").slow_responses == 0
    assert day_parts(ok, "A", "2026-11-09").v_slow_reply == 0
    assert day_parts(slow, "A", "2026-11-10").slow_responses == 1
    assert day_parts(slow, "A", "2026-11-10").v_slow_reply == 1


def test_dst_skipped_opening_opens_when_the_clock_jumps_past_it() -> None:
    # New York, Sun 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT (07:00 UTC). Open
    # 02:30–05:00: a question at 01:50 EST is timed from 03:00 EDT, the first instant the
    # wall clock reads 02:30 or later; answered 03:00:10 EDT -> 10 s.
    ny = ZoneInfo("America/New_York")
    hours = BusinessHours.parse({"sun": [["02:30", "05:00"]]})
    asked = datetime(2026, 3, 8, 1, 50, tzinfo=ny)
    assert hours.next_opening(asked, ny) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    settings = ShopSettings.from_dict(
        {"timezone": "America/New_York", "business_hours": {"sun": [["02:30", "05:00"]]}}
    )
    answered = datetime(2026, 3, 8, 7, 0, 10, tzinfo=UTC)
    f = derive(
        [
            ChatMessage("s1", "q", "b1", "A", "buyer", asked, "text", "在吗"),
            ChatMessage("s1", "r", "b1", "A", "agent", answered, "text", "您好亲😀😀😀"),
        ],
        FAR,
        settings=settings,
    )
    assert f.sessions[0].questions[0].response_us == 10 * S


def test_next_opening_a_week_ahead_and_every_day_shape() -> None:
    sh = ZoneInfo("Asia/Shanghai")
    only_monday = BusinessHours.parse({"mon": [["09:00", "10:00"]]})
    at = datetime(2026, 11, 9, 10, 0, tzinfo=sh)  # Mon 10:00: closed until next Monday
    assert only_monday.next_opening(at, sh) == at + timedelta(days=7, hours=-1)
    assert only_monday.next_opening(at - timedelta(minutes=1), sh) == at - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "no open interval"),
        ({"mon": [], "sun": []}, "no open interval"),
        ({"monday": [["09:00", "18:00"]]}, "unknown keys"),
        ({"mon": [["09:00", "09:00"]]}, "must be after start"),
        ({"mon": [["18:00", "09:00"]]}, "must be after start"),
        ({"mon": [["24:00", "24:00"]]}, "00:00 … 23:59"),
        ({"mon": [["09:00", "24:01"]]}, "past 24:00"),
        ({"mon": [["9:00", "18:00"]]}, '"HH:MM"'),
        ({"mon": [["09:00", "12:00"], ["11:59", "13:00"]]}, "overlap"),
        ({"mon": [["09:00"]]}, "pair"),
        ({"mon": "09:00-18:00"}, "list of intervals"),
        ([["09:00", "18:00"]], "must be an object"),
    ],
)
def test_invalid_hours_are_refused_naming_what_to_fix(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ShopSettings.from_dict({"business_hours": value})


def test_valid_hours_round_trip_in_canonical_order() -> None:
    # Touching intervals do not overlap; "24:00" ends a day; intervals come back sorted.
    value = {"tue": [["12:00", "24:00"], ["00:00", "12:00"]], "sun": [["23:59", "24:00"]]}
    settings = ShopSettings.from_dict({"business_hours": value})
    assert settings.to_dict()["business_hours"] == {
        "tue": [["00:00", "12:00"], ["12:00", "24:00"]],
        "sun": [["23:59", "24:00"]],
    }
    assert ShopSettings().to_dict()["business_hours"] is None
    assert hash(settings) == hash(ShopSettings.from_dict({"business_hours": value}))


def test_the_openings_memo_answers_as_next_opening() -> None:
    """Openings (the core's memo of next openings) gives next_opening's instants; it keeps
    only fixed-offset keys (a zoned wall time's fold would not tell two instants apart)."""
    hours, tz = OPEN.business_hours, ZoneInfo("Asia/Shanghai")
    assert hours is not None
    openings = Openings(hours, tz)
    instants = [datetime(2026, 11, 9, 0, tzinfo=UTC) + timedelta(hours=h) for h in range(0, 170, 7)]
    for at in instants * 2:  # the second time from the memo
        assert openings[at] == hours.next_opening(at, tz)
    assert len(openings) == len(instants)
    ny = ZoneInfo("America/New_York")
    for fold in (0, 1):  # 2026-11-01 01:30 happens twice in New York
        at = datetime(2026, 11, 1, 1, 30, tzinfo=ny, fold=fold)
        assert openings[at] == hours.next_opening(at, tz)
    assert len(openings) == len(instants)
