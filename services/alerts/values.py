"""A rule's observation: the watched value and its sample, from summed rollup parts (pure).

Values come from the scoring core's read_ratios, so an alert always agrees with what
GET /v1/metrics shows for the same days.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.parts import AgentDayParts, ShopDayParts
from services.scoring.core.metrics import read_ratios, read_shop_ratios

from .rules import AlertRule


@dataclass(frozen=True, slots=True)
class Observation:
    value: Any  # as the metrics API shows it: int, float, decimal string, or None
    sample: int

    @property
    def number(self) -> Decimal | None:
        return None if self.value is None else Decimal(str(self.value))


def flatten(agent: AgentDayParts, shop: ShopDayParts | None = None) -> dict[str, Any]:
    """Every metric and integer part by name, `violations.<rule>` included."""
    ratios = read_ratios(agent)
    violations = ratios.pop("violations")
    flat: dict[str, Any] = {**agent.to_json(), **ratios}
    flat.update({f"violations.{rule}": n for rule, n in violations.items()})
    if shop is not None:
        flat.update(shop.to_json())
        flat.update(read_shop_ratios(shop))
    return flat


def observe(rule: AlertRule, flat: dict[str, Any]) -> Observation:
    return Observation(value=flat.get(rule.metric), sample=int(flat.get(rule.sample_of, 0)))
