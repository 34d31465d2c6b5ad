"""The metric catalogue: every SPEC §5 metric, once, with what every consumer needs; and
its one evaluator — exact values for comparisons, the JSON edge for rows."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from domain import metrics
from domain.catalogue import (
    AGENT_METRICS,
    CATALOGUE,
    KINDS,
    SAMPLES,
    SHOP_METRICS,
    is_metric,
)
from domain.formulas import Ratio
from domain.parts import AgentDayParts, ShopDayParts
from domain.qa_rules import RULES

# SPEC §5, the table and the shop-level additions, name for name.
SPEC_AGENT = (
    "consultations",
    "inquiries",
    "ordered_buyers",
    "paid_buyers",
    "inquiry_conversion_rate",
    "order_payment_rate",
    "paid_orders",
    "sales_amount",
    "avg_order_value",
    "refund_amount",
    "lost_inquiries",
    "buyer_messages",
    "agent_messages",
    "answer_ratio",
    "responses",
    "avg_response_seconds",
    "avg_first_response_seconds",
    "slow_responses",
    "unreplied_buyers",
    "sessions",
    "qa_sessions",
    "avg_qa_score",
    "reminded_orders",
    "reminder_success_rate",
    # SPEC §11 (reviews)
    "reviews",
    "good_reviews",
    "neutral_reviews",
    "bad_reviews",
    "bad_review_rate",
    "review_mentions",
)
SPEC_SHOP = (
    "placed_orders",
    "paid_orders_total",
    "sales_total",
    "silent_orders",
    "silent_sales",
    "cs_sales_share",
    # SPEC §11 (reviews)
    "reviews_total",
    "bad_reviews_total",
    "bad_review_rate_total",
    "avg_dsr_item",
    "avg_dsr_service",
    "avg_dsr_logistics",
)
CJK = re.compile(r"[\u4e00-\u9fff]")

_count = st.integers(min_value=0, max_value=10**12)
_money = st.integers(min_value=-(10**12), max_value=10**14).map(lambda c: Decimal(c) / 100)


def _parts(cls: type[AgentDayParts] | type[ShopDayParts]) -> st.SearchStrategy[object]:
    return st.builds(
        cls, **{f: (_money if f in cls.DECIMAL_FIELDS else _count) for f in cls.FIELDS}
    )


def test_every_spec_metric_is_in_the_catalogue_with_both_labels() -> None:
    for name in SPEC_AGENT:
        assert CATALOGUE[name].scope == "agent", name
    for name in SPEC_SHOP:
        assert CATALOGUE[name].scope == "shop", name
    for rule in RULES:  # "violations (per rule)"
        assert CATALOGUE[f"violations.{rule}"].in_rows == "violations"
    for m in CATALOGUE.values():
        assert CJK.search(m.zh) and m.en and m.definition, m.name
        assert m.kind in KINDS and m.direction in ("higher", "lower")
        assert m.sample in SAMPLES, m.name
        parts = AgentDayParts if m.scope == "agent" else ShopDayParts
        assert set(m.formula.parts) <= set(parts.FIELDS), m.name
    # A ratio's sample is its denominator when that is a count (cs_sales_share divides
    # money: its sample is the paid orders; a DSR mean divides by the scores present, a
    # part that is no metric: its sample is the shop's reviews).
    for m in CATALOGUE.values():
        if m.name.startswith("avg_dsr_"):
            assert m.sample == "reviews_total", m.name
        elif isinstance(m.formula, Ratio) and m.formula.denominator != "sales_total":
            assert m.sample == m.formula.denominator, m.name


def test_row_fields_are_exactly_the_catalogues() -> None:
    row = metrics.agent_row(AgentDayParts())
    fields = [m.name for m in AGENT_METRICS if m.in_rows == "field"]
    assert list(row) == [*fields, "violations"]
    assert list(row["violations"]) == list(RULES)
    assert list(metrics.shop_row(ShopDayParts())) == [m.name for m in SHOP_METRICS]
    assert set(SPEC_AGENT) <= set(fields)


def test_directions_the_spec_implies() -> None:
    lower = {m.name for m in CATALOGUE.values() if m.direction == "lower"}
    assert lower == {
        "lost_inquiries",
        "refund_amount",
        "avg_response_seconds",
        "avg_first_response_seconds",
        "p50_response_seconds",
        "p90_response_seconds",
        "p50_first_response_seconds",
        "slow_responses",
        "unreplied_buyers",
        "violations",
        *(f"violations.{rule}" for rule in RULES),
        "neutral_reviews",
        "bad_reviews",
        "bad_review_rate",
        "bad_reviews_total",
        "bad_review_rate_total",
    }


@given(_parts(AgentDayParts), _parts(ShopDayParts))
def test_rows_show_the_exact_values(agent: AgentDayParts, shop: ShopDayParts) -> None:
    """The JSON edge is the exact value, once rounded: count as int, money to the cent,
    the rest the float nearest the exact quotient (int ratios take a shortcut: it must
    give the same float)."""
    row = {**metrics.agent_row(agent), **metrics.shop_row(shop)}
    for m in CATALOGUE.values():
        exact = metrics.value(m, agent, shop)
        if m.in_rows == "field":
            assert metrics.shown(m, exact) == row[m.name], m.name
        elif m.in_rows == "violations":
            assert exact == row["violations"][m.name.removeprefix("violations.")]
        else:
            assert exact == sum(row["violations"].values())
        if exact is not None and m.kind in ("rate", "average"):
            assert m.formula.nearest(agent if m.scope == "agent" else shop) == float(exact)


def test_exact_values_for_thresholds() -> None:
    p = AgentDayParts(inquiries=1000, paid_buyers=539, responses=3, response_us_sum=10**6)
    assert metrics.value("inquiry_conversion_rate", p) == Decimal("0.539")
    assert metrics.value("inquiry_conversion_rate", p) < Decimal("0.54")
    assert metrics.value("avg_response_seconds", p) == Decimal("0." + "3" * 34)  # 34 digits
    assert metrics.value("inquiries", p) == 1000 and metrics.value("order_payment_rate", p) is None
    assert metrics.value("inquiries", None) is None  # no parts: no value, not zero
    shop = ShopDayParts(sales_total=Decimal("100.00"), silent_sales=Decimal("25.00"))
    assert metrics.value("cs_sales_share", None, shop) == Decimal("0.75")
    assert metrics.sample_value("first_responses", AgentDayParts(first_responses=4)) == 4
    assert metrics.sample_value("placed_orders", AgentDayParts(), None) is None


def test_scopes() -> None:
    assert is_metric("inquiries") and is_metric("inquiries", "shop")
    assert not is_metric("cs_sales_share") and is_metric("cs_sales_share", "shop")
    assert not is_metric("v_greeting") and not is_metric("response_us_sum")


def test_formula_text_reads_as_the_spec_writes_it() -> None:
    assert CATALOGUE["inquiry_conversion_rate"].formula.text() == "paid_buyers / inquiries"
    assert (
        CATALOGUE["cs_sales_share"].formula.text() == "(sales_total − silent_sales) / sales_total"
    )
    assert CATALOGUE["avg_response_seconds"].formula.text() == (
        "response_us_sum / (responses × 1 000 000)"
    )


def test_the_definitions_doc_shows_the_catalogue() -> None:
    """docs/definitions.md §8 has the catalogue's table: kept equal to the code."""
    doc = (Path(__file__).parents[2] / "docs" / "definitions.md").read_text()
    shown = re.findall(
        r"^\| `([a-z0-9_.]+)`(?: \(shop\))? \| ([^|]+) \| [^|]+ \| (\w+) \| `([^`]+)` \| (\w+) \|$",
        doc,
        re.M,
    )
    assert shown == [
        (m.name, m.zh, m.direction, m.formula.text(), m.sample) for m in CATALOGUE.values()
    ]
