"""Comparisons of a metric's value with a number (targets, honour levels, alert rules).

Plans write them as symbols (`>=`); alert rules (SPEC §8), stored and in their API, as
words (`gte`). Both name the same four or five operators, judged here once.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

Comparison = Literal[">=", ">", "<=", "<", "=="]
AlertComparison = Literal["lt", "lte", "gt", "gte"]

COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
WORDS: dict[str, Comparison] = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def holds(value: Decimal, comparison: str, than: Decimal) -> bool:
    """`value <comparison> than`, the comparison as a symbol or an alert rule's word."""
    return COMPARISONS[WORDS.get(comparison, comparison)](value, than)
