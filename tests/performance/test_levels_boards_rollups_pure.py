"""Honour levels, leaderboards and rollups over plain parts (the DB-backed versions are in
test_performance_db.py)."""

from __future__ import annotations

from decimal import Decimal as D

from domain.parts import AgentDayParts as P
from services.performance.bonus_plan import MinSample
from services.performance.honour import (
    HonourPlan,
    Level,
    Requirement,
    check_honour_plan,
    evaluate_levels,
)
from services.performance.leaderboard import best, most_improved
from services.performance.rollups import AgentInfo, by_group, mentor_view

PLAN = HonourPlan(
    period="month",
    levels=(
        Level("铜牌", (Requirement("inquiries", ">=", D(10)),)),
        Level(
            "银牌",
            (
                Requirement("inquiries", ">=", D(10)),
                Requirement("inquiry_conversion_rate", ">=", D("0.4")),
            ),
        ),
        Level(
            "金牌",
            (
                Requirement("inquiries", ">=", D(10)),
                Requirement("inquiry_conversion_rate", ">=", D("0.5")),
                Requirement("avg_qa_score", ">=", D(90)),
            ),
        ),
    ),
)


def test_highest_level_whose_requirements_all_hold() -> None:
    # 12 inquiries, 6 paid (50 %), QA 85: bronze and silver hold, gold fails on QA only.
    result = evaluate_levels(PLAN, P(inquiries=12, paid_buyers=6, qa_sessions=2, qa_score_sum=170))
    assert result.level == "银牌"
    gold = result.levels[2]
    assert [r.held for r in gold.requirements] == [True, True, False]
    assert gold.requirements[2].actual == D(85)
    assert evaluate_levels(PLAN, P(inquiries=9, paid_buyers=9)).level is None
    # Without QA sessions avg_qa_score has no value: the requirement fails.
    assert evaluate_levels(PLAN, P(inquiries=10, paid_buyers=9)).levels[2].held is False


def test_honour_plan_validation() -> None:
    assert check_honour_plan(PLAN) == []
    bad = HonourPlan("day", (Level("a", (Requirement("x", "=>", D(1)),)), Level("a", ())))  # type: ignore[arg-type]
    assert [p.field for p in check_honour_plan(bad)] == [
        "period",
        "levels.0.requirements.0.metric",
        "levels.0.requirements.0.comparison",
        "levels.1.name",
    ]
    assert [p.field for p in check_honour_plan(HonourPlan("week", ()))] == ["levels"]


def test_best_and_most_improved_with_minimum_sample_and_ties() -> None:
    now = {
        "b": P(inquiries=20, paid_buyers=10),
        "a": P(inquiries=40, paid_buyers=20),
        "c": P(inquiries=2, paid_buyers=2),
        "d": P(inquiries=20, paid_buyers=8),
    }
    before = {
        "a": P(inquiries=20, paid_buyers=9),
        "b": P(inquiries=20, paid_buyers=6),
        "d": P(inquiries=20, paid_buyers=10),
    }
    sample = MinSample("inquiries", D(20))
    board = best(now, before, "inquiry_conversion_rate", direction="higher", sample=sample)
    # c (100 % of 2) is below the sample; a and b tie at 50 %: one rank, code-point order,
    # and d comes third (1, 1, 3).
    assert [(s.rank, s.agent_id, s.value) for s in board] == [
        (1, "a", D("0.5")),
        (1, "b", D("0.5")),
        (3, "d", D("0.4")),
    ]
    # W before: d 50 % (1st), a 45 % (2nd), b 30 % (3rd).
    assert [(s.agent_id, s.previous_rank) for s in board] == [("a", 2), ("b", 3), ("d", 1)]
    assert board[0].change == D("0.05")
    improved = most_improved(
        now, before, "inquiry_conversion_rate", direction="higher", sample=sample
    )
    # b: 30 % → 50 % (+0.2); a: 45 % → 50 % (+0.05); d: 50 % → 40 % (−0.1).
    assert [(s.agent_id, s.change) for s in improved] == [
        ("b", D("0.2")),
        ("a", D("0.05")),
        ("d", D("-0.1")),
    ]


def test_lower_is_better_board_and_improvement() -> None:
    now = {
        "x": P(responses=1, response_us_sum=10_000_000),
        "y": P(responses=1, response_us_sum=20_000_000),
    }
    before = {
        "x": P(responses=1, response_us_sum=12_000_000),
        "y": P(responses=1, response_us_sum=40_000_000),
    }
    anyone = MinSample("responses", D(0))
    board = best(now, before, "avg_response_seconds", direction="lower", sample=anyone)
    assert [s.agent_id for s in board] == ["x", "y"]
    improved = most_improved(now, before, "avg_response_seconds", direction="lower", sample=anyone)
    assert [(s.agent_id, s.improvement) for s in improved] == [("y", D(20)), ("x", D(2))]


def test_mentor_view_and_group_rollup() -> None:
    agents = [
        AgentInfo("m", "presale", None),
        AgentInfo("a2", "presale", "m"),
        AgentInfo("a1", "live", "m"),
        AgentInfo("z", "aftersale", "a1"),
    ]
    parts = {
        "m": P(inquiries=10, paid_buyers=6),
        "a1": P(inquiries=30, paid_buyers=6),
        "z": P(inquiries=5),
    }
    view = mentor_view("m", agents, parts)
    assert list(view.apprentices) == ["a1", "a2"]  # direct apprentices only; a2 idle
    assert view.apprentices["a2"] == P()
    assert (view.team.inquiries, view.team.paid_buyers) == (40, 12)
    groups = by_group(agents, parts)
    assert groups["presale"].inquiries == 10 and groups["live"].inquiries == 30
