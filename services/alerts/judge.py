"""Edge-triggered judgement of one rule for one scope (pure).

- Not judged (state unchanged) while the value is null (zero denominator) or the sample
  is below min_sample: too little data neither raises nor clears an alert.
- Entering breach → `alert.breached`, unless the previous breach of this rule and scope
  was less than `cooldown` ago: then nothing is sent and the state stays "not breached",
  so the breach is announced once the cooldown is over if it still holds.
- Leaving breach → `alert.resolved` (only for an announced breach).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from .rules import AlertRule
from .values import Observation

Kind = Literal["alert.breached", "alert.resolved"]


@dataclass(frozen=True, slots=True)
class AlertState:
    breached: bool = False
    last_breached_at: datetime | None = None
    last_resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    kind: Kind
    state: AlertState


def judge(
    rule: AlertRule, observation: Observation, state: AlertState, now: datetime
) -> Transition | None:
    value = observation.value
    if value is None or observation.sample < rule.min_sample:
        return None
    in_breach = rule.breaches(value)
    if in_breach and not state.breached:
        last = state.last_breached_at
        if last is not None and now - last < rule.cooldown:
            return None
        return Transition("alert.breached", replace(state, breached=True, last_breached_at=now))
    if state.breached and not in_breach:
        return Transition("alert.resolved", replace(state, breached=False, last_resolved_at=now))
    return None
