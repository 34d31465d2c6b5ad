"""Leaderboards follow one rule for every metric, direction and period (SPEC §7,
docs/performance.md), checked against a brute-force reading of that rule:

- ranked: the agents with a value whose sample reaches the minimum (most improved: in
  both periods);
- order: best first in the direction (most improved: the largest improvement first),
  equal values by agent_id in code-point order;
- rank: 1 + the number of agents strictly better (1, 2, 2, 4);
- change: value − previous value when the agent qualified then; previous_rank its rank
  on the previous board;
- the previous period of a week is the ISO week before, of a month the calendar month
  before.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import metrics
from domain.catalogue import AGENT_METRICS, CATALOGUE, SAMPLES, Direction, is_sample
from domain.parts import AgentDayParts
from services.performance.bonus_plan import MinSample
from services.performance.leaderboard import Standing, best, most_improved
from services.performance.periods import month_of, week_of

# Ids whose code-point order differs from a locale's (upper before lower, CJK last).
AGENT_IDS = ["a", "B", "b", "Z", "a1", "é", "小美", "小二"]
_small = st.integers(min_value=0, max_value=4)  # small: ties and zero denominators abound
_money = st.sampled_from([Decimal(0), Decimal("9.90"), Decimal("10.00"), Decimal("19.80")])
_parts = st.builds(
    AgentDayParts,
    **{f: (_money if f in AgentDayParts.DECIMAL_FIELDS else _small) for f in AgentDayParts.FIELDS},
)
_team = st.dictionaries(st.sampled_from(AGENT_IDS), _parts, max_size=len(AGENT_IDS))
_metric = st.sampled_from([m.name for m in AGENT_METRICS])
_direction = st.sampled_from(["higher", "lower"])
_sample_metric = st.none() | st.sampled_from([n for n in SAMPLES if is_sample(n)])


def _qualified(
    team: dict[str, AgentDayParts], metric: str, sample: MinSample
) -> dict[str, Decimal]:
    out = {}
    for agent, parts in team.items():
        value = metrics.value(metric, parts)
        count = metrics.sample_value(sample.metric, parts)
        if value is not None and count is not None and count >= sample.minimum:
            out[agent] = value
    return out


def _expected_ranks(scores: dict[str, Decimal]) -> list[tuple[int, str]]:
    order = sorted(scores, key=lambda a: (-scores[a], [ord(c) for c in a]))
    return [(1 + sum(s > scores[a] for s in scores.values()), a) for a in order]


def _check(
    board: list[Standing],
    scores: dict[str, Decimal],
    now: dict[str, Decimal],
    before: dict[str, Decimal],
    sign: int,
) -> None:
    assert [(s.rank, s.agent_id) for s in board] == _expected_ranks(scores)
    previous_ranks = dict(
        (a, r) for r, a in _expected_ranks({a: sign * v for a, v in before.items()})
    )
    for s in board:
        assert s.value == now[s.agent_id]
        assert s.previous == before.get(s.agent_id)
        assert s.previous_rank == previous_ranks.get(s.agent_id)
        if s.agent_id in before:
            assert s.change == now[s.agent_id] - before[s.agent_id]
            assert s.improvement == sign * s.change
        else:
            assert s.change is None and s.improvement is None


@settings(max_examples=400, deadline=None)
@given(
    current=_team,
    previous=_team,
    metric=_metric,
    direction=_direction,
    sample_metric=_sample_metric,
    minimum=st.integers(min_value=0, max_value=4),
)
def test_one_rule_for_every_metric_and_direction(
    current: dict[str, AgentDayParts],
    previous: dict[str, AgentDayParts],
    metric: str,
    direction: Direction,
    sample_metric: str | None,
    minimum: int,
) -> None:
    sample = MinSample(sample_metric or CATALOGUE[metric].sample, Decimal(minimum))
    sign = 1 if direction == "higher" else -1
    now, before = _qualified(current, metric, sample), _qualified(previous, metric, sample)
    board = best(current, previous, metric, direction=direction, sample=sample)
    _check(board, {a: sign * v for a, v in now.items()}, now, before, sign)
    improved = most_improved(current, previous, metric, direction=direction, sample=sample)
    both = {a: sign * (v - before[a]) for a, v in now.items() if a in before}
    _check(improved, both, now, before, sign)


@given(
    day=st.dates(min_value=date(1901, 1, 1), max_value=date(9998, 12, 31)),
    kind=st.sampled_from(["week", "month"]),
)
def test_the_previous_period_is_the_one_just_before(day: date, kind: str) -> None:
    period = week_of(day) if kind == "week" else month_of(day)
    before = period.previous()
    assert before.kind == period.kind and before.last + timedelta(days=1) == period.first
    if kind == "week":  # ISO weeks: Monday to Sunday
        assert before.first.isoweekday() == 1 and (before.last - before.first).days == 6
    else:  # calendar months: the 1st to the last day
        assert before.first.day == 1 and (before.last + timedelta(days=1)).day == 1
    assert before == (week_of if kind == "week" else month_of)(period.first - timedelta(days=1))
