"""An export's row from a row of sums (domain.metrics.summed_row_values) holds, value for
value and type for type, what agent_values gives for the same summed parts."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from domain.catalogue import Metric
from domain.formulas import Difference, Ratio
from domain.metrics import (
    ROW_METRICS,
    _compile_row_values,
    _reader,
    agent_row,
    agent_values,
    money,
    summed_row_values,
)
from domain.parts import AgentDayParts
from domain.qa_rules import RULES
from domain.spread import Spread, encode


def _parts(rng: random.Random) -> AgentDayParts:
    values: list[Any] = []
    for name in AgentDayParts.FIELDS:
        if name in AgentDayParts.DECIMAL_FIELDS:
            cents = rng.choice([0, 1, 10, 99, rng.randint(0, 10**12)])
            values.append(Decimal(cents).scaleb(-2))
        else:  # zeros often: every ratio meets a zero denominator
            values.append(rng.choice([0, 0, 1, 3, 7, rng.randint(0, 10**6), 2**53 + 1]))
    return AgentDayParts(*values)


def _row(parts: AgentDayParts) -> tuple[Any, ...]:
    """As the rollup reader streams it: money as its two-place text."""
    money_fields = AgentDayParts.DECIMAL_FIELDS
    return (
        "2026-11-11",
        "小美",
        *(
            money(v) if f in money_fields else v
            for f, v in zip(AgentDayParts.FIELDS, parts.values(), strict=True)
        ),
    )


def test_a_row_of_sums_gives_the_values_of_its_parts() -> None:
    rng = random.Random(5)
    spreads = [
        None,
        Spread.of_rows([encode([1_500_000, 2_250_000, 9_000_000])], [encode([1_500_000])]),
        Spread.of_rows([encode([])], [encode([])]),
    ]
    for i in range(3000):
        parts = _parts(rng)
        spread = spreads[i % len(spreads)]
        parts.spread = spread or Spread()
        got = summed_row_values(_row(parts), spread)
        expected = ("2026-11-11", "小美", *agent_values(parts))
        assert got == expected
        assert [type(v) for v in got] == [type(v) for v in expected]
    assert len(got) == 2 + len(ROW_METRICS)


def test_a_metric_of_another_shape_is_read_from_parts() -> None:
    """A formula the compiler does not write out is read the general way (a new metric
    of a new shape is right before it is fast)."""
    net = Metric(
        "net_sales", "净销售额", "net sales", "money", "currency", "higher",
        Difference("sales_amount", "refund_amount"), "consultations", "sales − refunds",
    )  # fmt: skip
    per_session = Metric(
        "refunds_per_session", "每会话退款", "refunds per session", "average", "currency",
        "lower", Ratio(Difference("sales_amount", "refund_amount"), "sessions"), "sessions",
        "net sales / sessions",
    )  # fmt: skip
    values = _compile_row_values([net, per_session, *ROW_METRICS[:3]])
    rng = random.Random(6)
    for _ in range(200):
        parts = _parts(rng)
        got = values(_row(parts), None)
        assert got[2:] == tuple(_reader(m)(parts) for m in (net, per_session, *ROW_METRICS[:3]))


def test_a_row_of_parts_holds_every_reader_value_in_the_rows_shape() -> None:
    """agent_row (compiled, every /v1/metrics and console row) gives what each metric's
    reader gives, value for value and type for type, fields in catalogue order and the
    rules inside `violations`."""
    rng = random.Random(7)
    spreads = [
        None,
        Spread.of_rows([encode([1_500_000, 2_250_000, 9_000_000])], [encode([1_500_000])]),
        Spread.of_rows([encode([])], [encode([])]),
    ]
    fields = [m.name for m in ROW_METRICS if m.in_rows == "field"]
    for i in range(3000):
        parts = _parts(rng)
        parts.spread = spreads[i % len(spreads)]
        row = agent_row(parts)
        assert list(row) == [*fields, "violations"]
        assert list(row["violations"]) == list(RULES)
        got = [
            row[m.name]
            if m.in_rows == "field"
            else row["violations"][m.name.removeprefix("violations.")]
            for m in ROW_METRICS
        ]
        expected = agent_values(parts)
        assert got == expected
        assert [type(v) for v in got] == [type(v) for v in expected]
