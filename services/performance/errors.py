"""Plan problems: what is wrong with a plan, where, in words a shop admin can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """One defect of a plan; `field` is a dotted path into the plan ("tiers.2.threshold")."""

    field: str
    message: str


class PeriodError(ValueError):
    """A period label that is neither an ISO week (2026-W46) nor a month (2026-11)."""
