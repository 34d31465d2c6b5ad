"""Exact metric values agree with the display values of scoring's read_ratios."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.parts import AgentDayParts
from services.performance.metric_values import METRICS, metric_value, render
from services.scoring.core.metrics import read_ratios

_small = st.integers(min_value=0, max_value=10**6)
_money = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c) / 100)
_parts = st.builds(
    AgentDayParts,
    **{f: (_money if f in AgentDayParts.DECIMAL_FIELDS else _small) for f in AgentDayParts.FIELDS},
)


@given(_parts)
def test_every_metric_matches_read_ratios(parts: AgentDayParts) -> None:
    shown = read_ratios(parts)
    for name in METRICS:
        if name == "violations":
            expected = sum(shown["violations"].values())
        elif name.startswith("violations."):
            expected = shown["violations"][name.removeprefix("violations.")]
        else:
            expected = shown[name]
        assert render(name, metric_value(parts, name)) == expected, name


def test_every_per_agent_metric_of_read_ratios_is_known() -> None:
    assert set(read_ratios(AgentDayParts())) - {"violations"} <= set(METRICS)


def test_no_parts_means_no_value() -> None:
    assert metric_value(None, "inquiries") is None
    assert metric_value(AgentDayParts(), "inquiries") == 0
    assert metric_value(AgentDayParts(), "inquiry_conversion_rate") is None
