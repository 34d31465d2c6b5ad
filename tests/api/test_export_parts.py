"""The pure parts of exports: format negotiation, file names, columns from the catalogue."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import xlsxwriter
from pydantic import BaseModel
from xlsxwriter.worksheet import Worksheet

from domain.catalogue import CATALOGUE
from services.api.exports.columns import Column, Format, model_columns, row_metric_columns
from services.api.exports.csv_file import FORMULA_STARTS
from services.api.exports.negotiation import accepted_file, content_disposition
from services.api.exports.xlsx_file import _NUMBER_FORMATS
from services.api.exports.xlsx_rows import RowEncoder

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


def _sheet_xml(write_rows: Callable[[Worksheet, Any, Any], None], tmp: Path) -> bytes:
    """The worksheet XML of a constant-memory workbook whose rows `write_rows` wrote."""
    path = tmp / f"{write_rows.__name__}.xlsx"
    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "tmpdir": str(tmp), "strings_to_formulas": False}
    )
    sheet = book.add_worksheet("s")
    styles = {f: book.add_format({"num_format": n}) for f, n in _NUMBER_FORMATS.items()}
    guarded = book.add_format({"quote_prefix": True})
    for col, fmt in enumerate(_FORMATS):
        sheet.write_string(0, col, fmt)
    write_rows(sheet, styles, guarded)
    book.close()
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


_FORMATS: tuple[Format, ...] = (
    "text",
    "integer",
    "percent",
    "decimal",
    "date",
    "datetime",
    "boolean",
    "list",
)
_ZONE = ZoneInfo("Asia/Shanghai")
LAST_ROW = "… (Excel holds no more rows: use CSV)"
_ROWS: list[list[Any]] = [
    [
        "小美",
        42,
        0.4166666666666667,
        "258.90",
        date(2026, 11, 11),
        datetime(2026, 11, 11, 2, 0, tzinfo=UTC),
        True,
        ["o1", "o2"],
    ],
    ['=HYPERLINK("x")', 0, None, "-0.05", None, None, False, []],
    [
        " <a&b> \x01_x0000_ ",
        -7,
        1.0,
        "0",
        date(2026, 1, 1),
        datetime(2026, 1, 1, 15, 59, 59, 123000, tzinfo=UTC),
        None,
        ["+1"],
    ],
    ["汉" * 40000, None, 0.1, None, None, None, None, None],
    # ints beyond ±2⁵³ are written through their float, as XlsxWriter does
    ["x", 2**53 + 1, 1e-7, "12345678901234.56", None, None, None, None],
    ["y", -(2**53), 2 / 3, 3, None, None, None, None],
    ["z", 10**17, 1e16, 0.30000000000000004, None, None, None, None],
]


def test_the_row_encoder_writes_what_xlsxwriters_cell_api_writes(tmp_path: Path) -> None:
    """The fast row encoder and XlsxWriter's own writers give the same sheet, byte for byte:
    numbers, decimal strings, dates, datetimes in the shop's zone, booleans, lists, texts
    with formula starts, XML specials, control characters, edge spaces and over-long text."""

    def through_the_api(sheet: Worksheet, styles: Any, guarded: Any) -> None:
        for r, values in enumerate(_ROWS, start=1):
            for c, (fmt, v) in enumerate(zip(_FORMATS, values, strict=True)):
                if v is None:
                    continue
                if fmt in ("integer", "percent", "decimal"):
                    sheet.write_number(r, c, float(v) if isinstance(v, str) else v, styles[fmt])
                elif fmt == "date":
                    sheet.write_datetime(r, c, v, styles[fmt])
                elif fmt == "datetime":
                    local = v.astimezone(_ZONE).replace(tzinfo=None)
                    sheet.write_datetime(r, c, local, styles[fmt])
                elif fmt == "boolean":
                    sheet.write_boolean(r, c, v)
                else:
                    text = ", ".join(v) if fmt == "list" else v
                    sheet.write_string(
                        r, c, text, guarded if text.startswith(FORMULA_STARTS) else None
                    )
        sheet.write_string(len(_ROWS) + 1, 0, LAST_ROW)

    def through_the_encoder(sheet: Worksheet, styles: Any, guarded: Any) -> None:
        encoder = RowEncoder(
            sheet,
            _FORMATS,
            [styles[f]._get_xf_index() if f in styles else None for f in _FORMATS],
            guarded_style=guarded._get_xf_index(),
            zone=_ZONE,
        )
        encoder.write(1, _ROWS[:2])  # in two batches, as exports write them
        encoder.write(3, _ROWS[2:])
        encoder.write_text(len(_ROWS) + 1, LAST_ROW)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    expected = _sheet_xml(through_the_api, tmp_path / "a")
    assert _sheet_xml(through_the_encoder, tmp_path / "b") == expected
    assert b"_x0001_" in expected and b"HYPERLINK" in expected  # the cases were written
