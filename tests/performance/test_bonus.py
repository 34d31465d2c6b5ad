"""Bonus plans: the SPEC §7 example, relative tiers, steps, deductions, validation."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from domain.metrics import CONTEXT
from domain.parts import AgentDayParts
from services.performance.bonus import compute_bonus
from services.performance.bonus_plan import BonusPlan, MinSample, Step, Tier, check_bonus_plan

# The 6-agent team's plan: weekly inquiry conversion 50 % → 800, 52 % → 1200,
# 54 % → 1600, then +400 per further 2 %, uncapped (上不封顶).
SPEC_PLAN = BonusPlan(
    metric="inquiry_conversion_rate",
    period="week",
    tiers=(Tier(D("0.50"), D(800)), Tier(D("0.52"), D(1200)), Tier(D("0.54"), D(1600))),
    step=Step(D("0.02"), D(400)),
)


def conv(paid: int, inquiries: int, **extra: int) -> AgentDayParts:
    fields: dict[str, Any] = {"inquiries": inquiries, "paid_buyers": paid, **extra}
    return AgentDayParts(**fields)


@pytest.mark.parametrize(
    ("paid", "inquiries", "total", "tier", "steps"),
    [
        (499, 1000, "0.00", None, 0),  # 49.9 %: below the first tier
        (500, 1000, "800.00", 0, 0),  # 50 % exactly reaches it
        (539, 1000, "1200.00", 1, 0),  # 53.9 % must not reach 54 %
        (540, 1000, "1600.00", 2, 0),
        (580, 1000, "2400.00", 2, 2),  # 58 %: exactly 2 steps of 2 % beyond 54 %
        (29, 50, "2400.00", 2, 2),  # 58 % again (0.58 - 0.54 is 0.03999… in floats)
        (579, 1000, "2000.00", 2, 1),
        (1000, 1000, "10800.00", 2, 23),  # no cap: 1600 + 23 × 400
    ],
)
def test_spec_example_plan(
    paid: int, inquiries: int, total: str, tier: int | None, steps: int
) -> None:
    result = compute_bonus(SPEC_PLAN, conv(paid, inquiries))
    assert (result.total, result.tier, result.steps_beyond_top) == (D(total), tier, steps)
    assert result.reason is None


def test_without_inquiries_there_is_no_value_and_no_bonus() -> None:
    result = compute_bonus(SPEC_PLAN, AgentDayParts(consultations=3))
    assert (result.value, result.reason, result.total) == (None, "no_value", D(0))
    assert compute_bonus(SPEC_PLAN, None).reason == "no_value"


RELATIVE = BonusPlan(
    metric="inquiry_conversion_rate",
    period="week",
    tiers=(Tier(D("0.02"), D(500)), Tier(D("0.04"), D(1000))),
    baseline_periods=4,
)


def weeks(*parts: AgentDayParts) -> AgentDayParts:
    """The previous periods taken together: their parts summed (what the API reads)."""
    return sum(parts, AgentDayParts())


def test_relative_tiers_start_above_the_agents_own_baseline() -> None:
    # Previous 4 weeks: 48/100, 52/100, a week without inquiries (2 consultations) and a
    # week off → Σ paid / Σ inquiries = 100/200 = 0.50; tiers at 52 % and 54 %.
    history = weeks(conv(48, 100), conv(52, 100), AgentDayParts(consultations=2))
    at_52 = compute_bonus(RELATIVE, conv(52, 100), history)
    assert at_52.baseline == D("0.5")
    assert at_52.thresholds == (D("0.52"), D("0.54"))
    assert (at_52.tier, at_52.total) == (0, D("500.00"))
    assert compute_bonus(RELATIVE, conv(51, 100), history).total == 0
    assert compute_bonus(RELATIVE, conv(54, 100), history).total == D(1000)


def test_baseline_is_the_metric_over_the_periods_taken_together() -> None:
    """SPEC §7: Σ paid_buyers / Σ inquiries over the N periods, never a mean of their
    values. Worked example, baseline_periods = 2:

        week −2:  1 paid of   1 inquiry   (100 %)
        week −1: 40 paid of 100 inquiries ( 40 %)
        baseline = (1 + 40) / (1 + 100) = 41/101 = 0.405940594…
                   (the mean of the weeks' values would be (1.00 + 0.40) / 2 = 0.70)
        tiers    = baseline + 0.02 = 0.425940594…, baseline + 0.04 = 0.445940594…
        this week: 43/100 = 0.43 → reaches the first tier (500), not the second;
                   under the mean-of-values reading it would need 0.72 and get nothing.
    """
    result = compute_bonus(RELATIVE, conv(43, 100), weeks(conv(1, 1), conv(40, 100)))
    assert result.baseline == CONTEXT.divide(D(41), D(101))  # 34 digits
    assert result.baseline < D("0.43") - D("0.02") < result.baseline + D("0.04")
    assert (result.tier, result.total) == (0, D("500.00"))
    # A lucky 1-inquiry week weighs one inquiry: it barely moves the baseline.
    assert compute_bonus(RELATIVE, conv(43, 100), conv(40, 100)).tier == 0


def test_relative_plan_without_any_baseline_pays_nothing() -> None:
    result = compute_bonus(RELATIVE, conv(90, 100), AgentDayParts(consultations=1))
    assert (result.reason, result.baseline, result.total) == ("no_baseline", None, D(0))
    result = compute_bonus(RELATIVE, conv(90, 100), None)  # no activity at all
    assert (result.reason, result.baseline, result.total) == ("no_baseline", None, D(0))


def test_deductions_per_violation_never_below_zero() -> None:
    plan = BonusPlan(
        metric="inquiry_conversion_rate",
        period="week",
        tiers=(Tier(D("0.5"), D(800)),),
        deductions={"forbidden_words": D(100), "slow_reply": D("2.5")},
    )
    # 800 − (3 × 100 + 4 × 2.5) = 490
    result = compute_bonus(plan, conv(60, 100, v_forbidden_words=3, v_slow_reply=4))
    assert (result.gross, result.deductions_total, result.total) == (D(800), D(310), D(490))
    assert [(d.rule, d.violations, d.amount) for d in result.deductions] == [
        ("forbidden_words", 3, D(300)),
        ("slow_reply", 4, D(10)),
    ]
    # 800 − 9 × 100 − 0 is negative: the bonus floors at 0.
    assert compute_bonus(plan, conv(60, 100, v_forbidden_words=9)).total == 0


def test_minimum_sample() -> None:
    plan = BonusPlan(
        metric="inquiry_conversion_rate",
        period="week",
        tiers=(Tier(D("0.5"), D(800)),),
        min_sample=MinSample("inquiries", D(20)),
    )
    assert compute_bonus(plan, conv(19, 19)).reason == "below_min_sample"
    assert compute_bonus(plan, conv(19, 19)).total == 0
    assert compute_bonus(plan, conv(10, 20)).total == 800


def test_lower_is_better_plan_tiers_go_down() -> None:
    # avg_response_seconds: ≤ 30 s → 200, ≤ 20 s → 500, then +50 per 5 s faster.
    plan = BonusPlan(
        metric="avg_response_seconds",
        period="month",
        direction="lower",
        tiers=(Tier(D(30), D(200)), Tier(D(20), D(500))),
        step=Step(D(5), D(50)),
    )
    assert check_bonus_plan(plan) == []

    def resp(seconds: int) -> AgentDayParts:
        return AgentDayParts(responses=2, response_us_sum=2 * seconds * 1_000_000)

    assert compute_bonus(plan, resp(31)).total == 0
    assert compute_bonus(plan, resp(30)).total == 200
    assert compute_bonus(plan, resp(20)).total == 500
    assert compute_bonus(plan, resp(9)).total == 600  # 11 s beyond 20 s: 2 full steps


def _fields(plan: BonusPlan) -> list[str]:
    return [p.field for p in check_bonus_plan(plan)]


def test_invalid_plans_are_described() -> None:
    assert check_bonus_plan(SPEC_PLAN) == []
    tiers = (Tier(D("0.52"), D(800)), Tier(D("0.50"), D(1200)))
    assert _fields(BonusPlan("inquiry_conversion_rate", "week", tiers)) == ["tiers.1.threshold"]
    same = (Tier(D("0.5"), D(800)), Tier(D("0.5"), D(1200)))
    problems = check_bonus_plan(BonusPlan("inquiry_conversion_rate", "week", same))
    assert "overlaps" in problems[0].message
    cheaper = (Tier(D("0.5"), D(800)), Tier(D("0.6"), D(700)))
    assert _fields(BonusPlan("inquiry_conversion_rate", "week", cheaper)) == ["tiers.1.amount"]
    assert _fields(BonusPlan("conversion", "week", SPEC_PLAN.tiers)) == ["metric"]
    assert _fields(BonusPlan("inquiries", "week", ())) == ["tiers"]
    bad = BonusPlan(
        "inquiry_conversion_rate",
        "week",
        SPEC_PLAN.tiers,
        baseline_periods=0,
        step=Step(D(0), D(-1)),
        deductions={"rudeness": D(1)},
        min_sample=MinSample("inquiry", D(1)),
    )
    assert _fields(bad) == [
        "baseline_periods",
        "step.every",
        "step.amount",
        "deductions.rudeness",
        "min_sample.metric",
    ]
    assert _fields(BonusPlan("inquiries", "week", (Tier(D(1), D("0.001")),))) == ["tiers.0.amount"]
