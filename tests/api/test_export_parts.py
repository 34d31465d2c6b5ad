"""The pure parts of exports: format negotiation, file names, columns from the catalogue."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from pydantic import BaseModel

from domain.catalogue import CATALOGUE
from services.api.exports.columns import Column, model_columns, row_metric_columns
from services.api.exports.negotiation import accepted_file, content_disposition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, None),
        ("application/json", None),
        ("*/*", None),
        ("text/csv", "csv"),
        ("Text/CSV; charset=utf-8", "csv"),
        (f"application/json, {XLSX};q=0.9, text/csv", "xlsx"),
        ("text/csv;q=0, application/json", None),
        (f"text/csv; q=0.0, {XLSX}", "xlsx"),
    ],
)
def test_accept_names_a_file(accept: str | None, expected: str | None) -> None:
    assert accepted_file(accept) == expected


def test_file_names_are_utf8_with_an_ascii_fallback() -> None:
    name = '店铺-1_metrics-day-agent_2026-11-01_2026-11-30 "x".csv'
    header = content_disposition(name)
    fallback, utf8 = header.split("; filename*=UTF-8''")
    assert fallback == 'attachment; filename="__-1_metrics-day-agent_2026-11-01_2026-11-30__x_.csv"'
    assert utf8.isascii() and " " not in utf8 and unquote(utf8) == name


def test_metric_columns_follow_the_catalogue() -> None:
    columns = {c.key: c for c in row_metric_columns(shop=True)}
    shown = {m.name for m in CATALOGUE.values() if m.in_rows != "no"}
    assert set(columns) == shown
    for name, column in columns.items():
        metric = CATALOGUE[name]
        assert (column.zh, column.en) == (metric.zh, metric.en)
        expected = {"count": "integer", "money": "money"}.get(metric.kind) or {
            "fraction": "percent",
            "currency": "money",
            "seconds": "seconds",
        }.get(metric.unit, "decimal")
        assert column.format == expected, name
    rate = columns["inquiry_conversion_rate"]
    assert rate.header("en", currency="CNY", timezone="UTC") == "inquiry conversion rate"
    assert (
        columns["sales_amount"].header("zh", currency="CNY", timezone="UTC") == "客服销售额 (CNY)"
    )
    assert (
        columns["avg_response_seconds"]
        .header("zh", currency="CNY", timezone="UTC")
        .endswith("(秒)")
    )
    # violations.<rule> is read inside the row's `violations` object
    assert columns["violations.slow_reply"].reader()({"violations": {"slow_reply": 3}}) == 3


def test_a_field_without_labels_is_refused() -> None:
    class WithMark(BaseModel):
        agent_id: str
        review_mark: str | None

    with pytest.raises(KeyError, match=r"WithMark\.review_mark"):
        model_columns(WithMark)
    assert model_columns(WithMark, exclude=["review_mark"]) == (
        Column("agent_id", "客服", "agent"),
    )
