"""Group and mentor rollups (师傅制, SPEC §7): parts summed, ratios read from the sums.

A mentor's team is the mentor plus its direct apprentices (agents whose mentor_id is the
mentor; an apprentice's own apprentices are not included). The team row sums their
parts, so its conversion is Σ paid / Σ inquiries, never a mean of the members' rates.
Apprentices without activity in the range still get a (zero) row: an idle apprentice is
what a mentor needs to see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.parts import AgentDayParts


@dataclass(frozen=True, slots=True)
class AgentInfo:
    agent_id: str
    group: str | None
    mentor_id: str | None


@dataclass(frozen=True, slots=True)
class MentorView:
    mentor_id: str
    mentor: AgentDayParts
    apprentices: dict[str, AgentDayParts]  # agent_id -> parts, in agent_id order
    team: AgentDayParts  # mentor + apprentices


def total(parts: Iterable[AgentDayParts]) -> AgentDayParts:
    out = AgentDayParts()
    for p in parts:
        out = out + p
    return out


def apprentices_of(mentor_id: str, agents: Iterable[AgentInfo]) -> list[str]:
    return sorted(
        a.agent_id for a in agents if a.mentor_id == mentor_id and a.agent_id != mentor_id
    )


def mentor_view(
    mentor_id: str, agents: Iterable[AgentInfo], parts: Mapping[str, AgentDayParts]
) -> MentorView:
    """`parts`: each agent's summed parts over the range (absent = no activity)."""
    ids = apprentices_of(mentor_id, agents)
    apprentices = {a: parts.get(a, AgentDayParts()) for a in ids}
    mine = parts.get(mentor_id, AgentDayParts())
    return MentorView(mentor_id, mine, apprentices, total([mine, *apprentices.values()]))


def by_group(
    agents: Iterable[AgentInfo], parts: Mapping[str, AgentDayParts]
) -> dict[str | None, AgentDayParts]:
    """Each group's summed parts; agents without a group roll up under None."""
    group_of = {a.agent_id: a.group for a in agents}
    out: dict[str | None, AgentDayParts] = {}
    for agent_id, p in parts.items():
        group = group_of.get(agent_id)
        out[group] = out.get(group, AgentDayParts()) + p
    return out
