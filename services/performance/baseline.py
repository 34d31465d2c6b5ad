"""An agent's own baseline: where it stands, for relative bonus tiers (SPEC §7).

baseline = the arithmetic mean of the metric's values in the agent's previous N periods,
counting only periods where the value is not null. For a ratio metric that is the mean
of the per-period ratios (each week weighs the same, however many inquiries it had), not
the ratio of the N periods' summed parts. A period without any agent_daily row for the
agent has no value for any metric (a week off does not drag the baseline to zero); a
ratio with a zero denominator has none either. No value in any of the N periods means no
baseline, and relative tiers then cannot be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain import metrics
from domain.metrics import CONTEXT
from domain.parts import AgentDayParts


def baseline(history: Sequence[AgentDayParts | None], metric: str) -> Decimal | None:
    """`history`: the agent's summed parts of each of the previous N periods."""
    values = [v for v in (metrics.value(metric, p) for p in history) if v is not None]
    if not values:
        return None
    return CONTEXT.divide(sum(values, Decimal(0)), Decimal(len(values)))
