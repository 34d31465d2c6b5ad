"""A rule's observation: the watched value and its sample, from summed rollup parts (pure).

Values come from the catalogue's one evaluator (domain/metrics.py): the comparison with
the threshold is exact, and the value in the webhook is the one GET /v1/metrics shows
for the same days.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain import metrics
from domain.parts import AgentDayParts, ShopDayParts

from .rules import AlertRule


@dataclass(frozen=True, slots=True)
class Observation:
    value: Decimal | None  # exact; None for a zero denominator
    sample: int

    def shown(self, metric: str) -> int | float | str | None:
        """As the metrics API shows it: int, float, decimal string, or None."""
        return metrics.shown(metric, self.value)


def observe(rule: AlertRule, agent: AgentDayParts, shop: ShopDayParts | None = None) -> Observation:
    """`agent`: the scope's summed agent parts (the agent's, or all agents' for the shop);
    `shop`: the shop-level parts (shop rules)."""
    sample = metrics.sample_value(rule.sample_of, agent, shop)
    return Observation(metrics.value(rule.metric, agent, shop), sample or 0)
