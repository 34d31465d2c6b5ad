"""Leaderboards (SPEC §7): the best agents of a period by a metric, and the most improved
(进步最快) against the previous period.

- Only agents with a value qualify, and, when a minimum sample is set (inquiries >= 20),
  only agents meeting it in the period, so one lucky day does not top the board. For
  "most improved" both periods must qualify: a 1-inquiry week is no baseline either.
- "Best" follows the metric's direction (highest conversion first, lowest response time
  first) unless the caller says otherwise.
- change = value − previous value, in the metric's units (rates in fraction points:
  0.52 − 0.48 = 0.04); improvement = change, or −change for lower-is-better metrics.
- Ties are broken by agent_id in code-point order; ranks are 1..n with no gaps or shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from domain import metrics
from domain.catalogue import Direction
from domain.parts import AgentDayParts

from .bonus_plan import MinSample


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    agent_id: str
    value: Decimal
    previous: Decimal | None
    change: Decimal | None
    improvement: Decimal | None


def _qualifies(parts: AgentDayParts | None, sample: MinSample | None) -> bool:
    if parts is None:
        return False
    if sample is None:
        return True
    value = metrics.sample_value(sample.metric, parts)
    return value is not None and value >= sample.minimum


def _entries(
    current: Mapping[str, AgentDayParts],
    previous: Mapping[str, AgentDayParts],
    metric: str,
    sample: MinSample | None,
    direction: Direction,
) -> Iterable[tuple[str, Decimal, Decimal | None]]:
    for agent_id, parts in current.items():
        value = metrics.value(metric, parts)
        if value is None or not _qualifies(parts, sample):
            continue
        before = previous.get(agent_id)
        prior = metrics.value(metric, before) if _qualifies(before, sample) else None
        yield agent_id, value, prior


def _standing(
    rank: int, agent_id: str, value: Decimal, prior: Decimal | None, direction: Direction
) -> Standing:
    change = None if prior is None else value - prior
    improvement = None if change is None else (change if direction == "higher" else -change)
    return Standing(rank, agent_id, value, prior, change, improvement)


def best(
    current: Mapping[str, AgentDayParts],
    previous: Mapping[str, AgentDayParts],
    metric: str,
    *,
    direction: Direction,
    sample: MinSample | None = None,
) -> list[Standing]:
    """`current`/`previous`: each agent's summed parts in the period and the one before."""
    entries = list(_entries(current, previous, metric, sample, direction))
    sign = -1 if direction == "higher" else 1
    entries.sort(key=lambda e: (sign * e[1], e[0]))
    return [_standing(i, a, v, p, direction) for i, (a, v, p) in enumerate(entries, 1)]


def most_improved(
    current: Mapping[str, AgentDayParts],
    previous: Mapping[str, AgentDayParts],
    metric: str,
    *,
    direction: Direction,
    sample: MinSample | None = None,
) -> list[Standing]:
    """Agents with a value in both periods, by improvement, largest first (declines last)."""
    rows = [
        _standing(0, a, v, p, direction)
        for a, v, p in _entries(current, previous, metric, sample, direction)
        if p is not None
    ]
    rows.sort(key=lambda s: (-(s.improvement or 0), s.agent_id))
    return [
        Standing(i, s.agent_id, s.value, s.previous, s.change, s.improvement)
        for i, s in enumerate(rows, 1)
    ]
