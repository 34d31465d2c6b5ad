"""Leaderboards (SPEC §7): the agents of a period ranked by a metric, with the change
against the previous period, and the most improved (进步最快).

One rule for every metric, direction and period:

- **Who is ranked.** An agent with a value in the period (an agent without activity, or
  with a zero denominator, has none) whose sample — the catalogue's default sample of the
  metric unless the caller names another count — is at least the minimum, so one lucky
  day (2 of 2 inquiries) does not top the board. "Most improved" ranks only agents who
  qualify in both periods: a 1-inquiry week is no baseline either.
- **Order.** Best first: the highest value for a higher-is-better metric, the lowest for
  a lower-is-better one (the catalogue's direction unless the caller says otherwise);
  for most improved, the largest improvement first (declines last). Equal values are
  listed by agent_id in code-point order.
- **Ranks.** Equal values share a rank and the next rank counts them (1, 2, 2, 4): an
  agent's rank is 1 + the number of agents strictly better.
- **Change.** change = value − the previous period's value (null if the agent did not
  qualify then), in the metric's units (rates in fraction points: 0.52 − 0.48 = 0.04);
  improvement = change, or −change for lower-is-better; previous_rank = the agent's rank
  on the previous period's board.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    sample: int
    previous: Decimal | None
    previous_rank: int | None
    change: Decimal | None
    improvement: Decimal | None


@dataclass(frozen=True, slots=True)
class _Entry:
    agent_id: str
    value: Decimal
    sample: int


def _qualified(
    parts: Mapping[str, AgentDayParts], metric: str, sample: MinSample
) -> dict[str, _Entry]:
    out = {}
    for agent_id, p in parts.items():
        value = metrics.value(metric, p)
        count = metrics.sample_value(sample.metric, p)
        if value is not None and count is not None and count >= sample.minimum:
            out[agent_id] = _Entry(agent_id, value, count)
    return out


def rank_by(items: Sequence[str], score: Callable[[str], Decimal]) -> list[tuple[int, str]]:
    """(rank, item), highest score first, equal scores by item in code-point order and
    sharing a rank (1, 2, 2, 4)."""
    ordered = sorted(items, key=lambda item: (-score(item), item))
    out: list[tuple[int, str]] = []
    for i, item in enumerate(ordered):
        tied = out and score(out[-1][1]) == score(item)
        out.append((out[-1][0] if tied else i + 1, item))
    return out


def _standings(
    now: dict[str, _Entry],
    before: dict[str, _Entry],
    sign: int,
    ranked: list[tuple[int, str]],
) -> list[Standing]:
    before_ranks = {a: r for r, a in rank_by(list(before), lambda a: sign * before[a].value)}
    out = []
    for rank, agent_id in ranked:
        entry, prior = now[agent_id], before.get(agent_id)
        change = None if prior is None else entry.value - prior.value
        out.append(
            Standing(
                rank=rank,
                agent_id=agent_id,
                value=entry.value,
                sample=entry.sample,
                previous=None if prior is None else prior.value,
                previous_rank=before_ranks.get(agent_id),
                change=change,
                improvement=None if change is None else sign * change,
            )
        )
    return out


def best(
    current: Mapping[str, AgentDayParts],
    previous: Mapping[str, AgentDayParts],
    metric: str,
    *,
    direction: Direction,
    sample: MinSample,
) -> list[Standing]:
    """`current`/`previous`: each agent's summed parts in the period and the one before."""
    now, before = _qualified(current, metric, sample), _qualified(previous, metric, sample)
    sign = 1 if direction == "higher" else -1
    return _standings(now, before, sign, rank_by(list(now), lambda a: sign * now[a].value))


def most_improved(
    current: Mapping[str, AgentDayParts],
    previous: Mapping[str, AgentDayParts],
    metric: str,
    *,
    direction: Direction,
    sample: MinSample,
) -> list[Standing]:
    """Agents qualifying in both periods, by improvement, largest first."""
    now, before = _qualified(current, metric, sample), _qualified(previous, metric, sample)
    sign = 1 if direction == "higher" else -1
    both = [a for a in now if a in before]
    improvement = {a: sign * (now[a].value - before[a].value) for a in both}
    return _standings(now, before, sign, rank_by(both, improvement.__getitem__))
