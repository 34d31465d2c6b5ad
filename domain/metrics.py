"""The one evaluator of the catalogue's metrics over summed parts, and their JSON form.

Exact first: `value()` is a Decimal (counts and money as they are, ratios divided in a
34-digit context) or None (zero denominator, or no parts at all: an agent without any
rollup row in a period has no value). Thresholds, targets, baselines, leaderboards and
alerts compare these. The JSON edge (`shown`, `agent_row`, `shop_row`) turns them into
what /v1/metrics shows: counts as ints, money as decimal strings with two places, rates
and averages as floats (the exact value rounded once), null for none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from .catalogue import AGENT_METRICS, CATALOGUE, SAMPLE_PARTS, SHOP_METRICS, Kind, Metric
from .formulas import CONTEXT, Exact, Part, Percentile, Ratio, Total
from .parts import AgentDayParts, ShopDayParts
from .qa_rules import RULES
from .spread import Spread

__all__ = [
    "CONTEXT",
    "ROW_METRICS",
    "SHOP_ROW_METRICS",
    "agent_row",
    "agent_values",
    "decimal_text",
    "money",
    "sample_value",
    "shop_row",
    "shown",
    "summed_row_values",
    "value",
]

_CENT = Decimal("0.01")


def _of(metric: str | Metric) -> Metric:
    return metric if isinstance(metric, Metric) else CATALOGUE[metric]


def value(
    metric: str | Metric, agent: AgentDayParts | None, shop: ShopDayParts | None = None
) -> Decimal | None:
    """The exact value of a metric: per-agent metrics read `agent`, shop-level ones
    `shop`. None for a zero denominator or when the parts it reads are None."""
    entry = _of(metric)
    parts = agent if entry.scope == "agent" else shop
    if parts is None:
        return None
    exact = entry.formula.exact(parts)
    return exact if exact is None or type(exact) is Decimal else Decimal(exact)


def sample_value(
    name: str, agent: AgentDayParts | None, shop: ShopDayParts | None = None
) -> int | None:
    """The count a minimum-sample rule checks: a count metric, or one of SAMPLE_PARTS."""
    if name in SAMPLE_PARTS:
        return None if agent is None else int(getattr(agent, name))
    exact = value(name, agent, shop)
    return None if exact is None else int(exact)


def money(amount: Decimal) -> str:
    """Decimal string with two places: "258.90", "0.00"."""
    return str(amount.quantize(_CENT))


def _json(kind: Kind, exact: Exact | None) -> int | float | str | None:
    """A value as JSON: counts int, money a 2-place string, the rest the nearest float."""
    if exact is None:
        return None
    if kind == "count":
        return int(exact)
    if kind == "money":
        return money(Decimal(exact))
    return float(exact)


def shown(metric: str | Metric, exact: Decimal | None) -> int | float | str | None:
    """A metric's exact value (or a difference of two) as /v1/metrics shows it."""
    return _json(_of(metric).kind, exact)


def decimal_text(number: Decimal | None) -> str | None:
    """Thresholds, baselines, targets: exact decimal strings without exponent."""
    return None if number is None else format(number.normalize(), "f")


def _reader(metric: Metric) -> Callable[[Any], int | float | str | None]:
    """The metric's JSON value over parts: the formula's exact int for a count, its exact
    Decimal as a 2-place string for money, its nearest float for the rest."""
    formula = metric.formula
    if metric.kind == "count":
        # A count is its part as it is: read in C (attrgetter) rather than through the
        # formula's method, a third of a row's time.
        if isinstance(formula, Part):
            return attrgetter(formula.name)
        return formula.exact  # type: ignore[return-value]
    if metric.kind == "money":
        return lambda parts: money(Decimal(formula.exact(parts)))  # type: ignore[arg-type]
    return formula.nearest


# The metrics a /v1/metrics row shows, in its order (violations.<rule> last, inside the
# row's `violations` object); exports write a column per metric in this order.
ROW_METRICS: tuple[Metric, ...] = tuple(m for m in AGENT_METRICS if m.in_rows != "no")
SHOP_ROW_METRICS: tuple[Metric, ...] = tuple(m for m in SHOP_METRICS if m.in_rows != "no")
_ROW_READERS = tuple(_reader(m) for m in ROW_METRICS)
_SHOP_FIELDS = tuple((m.name, _reader(m)) for m in SHOP_METRICS if m.in_rows == "field")
# The rules in violations.<rule> metrics' order are the QA rules' (agent_row's object).
assert (
    tuple(m.name.removeprefix("violations.") for m in AGENT_METRICS if m.in_rows == "violations")
    == RULES
)


def agent_values(parts: AgentDayParts) -> list[int | float | str | None]:
    """The values of agent_row as a flat list in ROW_METRICS order (an export's row)."""
    return [read(parts) for read in _ROW_READERS]


def shop_row(parts: ShopDayParts) -> dict[str, Any]:
    """The shop-level metrics a shop row adds (SPEC §5)."""
    return {name: read(parts) for name, read in _SHOP_FIELDS}


# -- exports: a whole row of values from a row of sums, in one compiled function --------
#
# An export reads hundreds of thousands of rows of sums; building an AgentDayParts and
# calling a reader per metric (agent_values) costs ~10 µs a row. `summed_row_values` is
# one function, compiled once from the catalogue, that unpacks a row of sums into names
# and builds the row's values in one expression: a count is its part, money its part's
# two-place text (the JSON's string), a ratio of integer parts Python's int division (as
# Ratio.nearest), a money ratio the 34-digit Decimal division (as Ratio.nearest), a
# percentile its formula over the row's spread. A metric of another shape is read the
# general way, from parts built for the row (tests/domain/test_metrics_rows.py holds the
# two equal for every row metric).


class _Spreadful:
    """What a percentile formula reads: the row's spread."""

    __slots__ = ("spread",)

    def __init__(self, spread: Spread) -> None:
        self.spread = spread


def _parts_of(row: tuple[Any, ...], spread: Spread | None) -> AgentDayParts:
    money_fields = AgentDayParts.DECIMAL_FIELDS
    values: list[Any] = [
        Decimal(v) if f in money_fields else v
        for f, v in zip(AgentDayParts.FIELDS, row[2:], strict=True)
    ]
    parts = AgentDayParts(*values)
    parts.spread = spread
    return parts


def _expression(metric: Metric, i: int, scope: dict[str, Any], *, money_text: bool = True) -> str:
    """The metric's JSON value as a Python expression over the part names, `spread` and
    `held`/`parts` (set up in the function's prologue); helpers go into `scope`.
    `money_text`: money parts are their two-place text (a row of sums), else Decimals."""
    formula, money_fields = metric.formula, AgentDayParts.DECIMAL_FIELDS
    if metric.kind == "count" and isinstance(formula, Part) and formula.name not in money_fields:
        return formula.name
    if (
        metric.kind == "count"
        and isinstance(formula, Total)
        and not {*formula.names} & money_fields
    ):
        return "(" + " + ".join(formula.names) + ")"
    if metric.kind == "money" and isinstance(formula, Part) and formula.name in money_fields:
        if not money_text:
            scope["_money"] = money
            return f"_money({formula.name})"
        return formula.name  # its sum's text: "258.90", as money() shows it
    if metric.kind not in ("count", "money"):
        if isinstance(formula, Ratio) and isinstance(formula.numerator, Part):
            n, d, scale = formula.numerator.name, formula.denominator, formula.scale
            if d not in money_fields:
                if n not in money_fields:
                    return f"({n} / ({d} * {scale}) if {d} else None)"
                scope["_divide"], scope["_Decimal"] = CONTEXT.divide, Decimal
                return f"(float(_divide(_Decimal({n}), _Decimal({d} * {scale}))) if {d} else None)"
        if isinstance(formula, Percentile):
            scope[f"_m{i}"] = formula.nearest
            return f"(None if held is None else _m{i}(held))"
    scope[f"_m{i}"] = _reader(metric)
    return f"_m{i}(parts)"


def _compile_row_values(
    metrics: Sequence[Metric],
) -> Callable[[tuple[Any, ...], Spread | None], tuple[Any, ...]]:
    scope: dict[str, Any] = {"_Spreadful": _Spreadful, "_parts_of": _parts_of}
    values = [_expression(m, i, scope) for i, m in enumerate(metrics)]
    body = [f"    (period, key, {', '.join(AgentDayParts.FIELDS)}) = row"]
    if any("held" in v for v in values):
        body.append("    held = None if spread is None else _Spreadful(spread)")
    if any("(parts)" in v for v in values):
        body.append("    parts = _parts_of(row, spread)")
    body.append(f"    return (period, key, {', '.join(values)})")
    source = "def summed_row_values(row, spread):\n" + "\n".join(body) + "\n"
    exec(compile(source, "<domain.metrics.summed_row_values>", "exec"), scope)
    function: Callable[[tuple[Any, ...], Spread | None], tuple[Any, ...]] = scope[
        "summed_row_values"
    ]
    function.__doc__ = (
        "(period, key, every ROW_METRICS value as agent_values gives it) of a row of sums "
        "(period, key, *parts in AgentDayParts.FIELDS order, money parts as their two-place "
        "decimal text) and the row's spread (None: no response times)."
    )
    return function


summed_row_values = _compile_row_values(ROW_METRICS)


def _compile_agent_row() -> Callable[[AgentDayParts], dict[str, Any]]:
    """agent_row as one function, compiled once from the catalogue as summed_row_values
    is (the parts unpacked into names, one dict display of every value): a row of
    /v1/metrics (every API and console row) costs no reader call per metric.
    tests/domain/test_metrics_rows.py holds it equal to the readers, value for value and
    type for type."""
    scope: dict[str, Any] = {}
    values = {m.name: _expression(m, i, scope, money_text=False) for i, m in enumerate(ROW_METRICS)}
    fields = [f"{m.name!r}: {values[m.name]}" for m in AGENT_METRICS if m.in_rows == "field"]
    rules = [
        f"{m.name.removeprefix('violations.')!r}: {values[m.name]}"
        for m in AGENT_METRICS
        if m.in_rows == "violations"
    ]
    body = [f"    ({', '.join(AgentDayParts.FIELDS)},) = parts.values()"]
    if any("held" in v for v in values.values()):
        body.append("    held = parts  # a percentile reads the parts' spread")
    row = ", ".join([*fields, f"'violations': {{{', '.join(rules)}}}"])
    body.append(f"    return {{{row}}}")
    source = "def agent_row(parts):\n" + "\n".join(body) + "\n"
    exec(compile(source, "<domain.metrics.agent_row>", "exec"), scope)
    function: Callable[[AgentDayParts], dict[str, Any]] = scope["agent_row"]
    function.__doc__ = (
        "Every per-agent metric of a /v1/metrics row, and `violations` naming every rule."
    )
    return function


agent_row = _compile_agent_row()
