"""Exported files read back independently of the code that wrote them: CSV with the csv
module, XLSX with openpyxl, and the check that a cell holds a JSON value."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx
import openpyxl

_XSTRING = re.compile(r"_x([0-9A-Fa-f]{4})_")
RISKY = ("=", "+", "-", "@", "\t", "\r")
CENT = Decimal("0.01")


def csv_table(body: bytes) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8), "CSV without a byte-order mark"
    text = body[len(codecs.BOM_UTF8) :].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", ""), "lines end in CRLF"
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_sheet(body: bytes) -> Any:
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert len(book.worksheets) == 1, "one sheet per report"
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2", "the header row is frozen"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
    return sheet


def xlsx_table(body: bytes) -> list[list[Any]]:
    return [[c.value for c in row] for row in xlsx_sheet(body).iter_rows()]


def file_text(body: bytes) -> str:
    """Every text a file holds (an XLSX's every zip member), to search for leaks."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return body.decode("utf-8", "replace")


def download_name(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


# What a test expects of a column: "text", "number" (counts, rates, averages), "money"
# (a decimal string in JSON), "date", "datetime", "list" or "bool".
Kind = str


def csv_cell_holds(kind: Kind, cell: str, value: Any, zone: tzinfo) -> bool:
    """A CSV cell against the JSON value of the same place."""
    if value is None:
        return cell == ""
    if kind == "bool":
        return cell == ("true" if value else "false")
    if kind == "number":
        return (int(cell) if isinstance(value, int) else float(cell)) == value
    if kind == "list":
        return cell == guarded(", ".join(value))
    if kind == "datetime":
        instant, expected = datetime.fromisoformat(cell), datetime.fromisoformat(value)
        return instant == expected and instant.utcoffset() == expected.astimezone(zone).utcoffset()
    return cell == (value if kind in ("money", "date") else guarded(value))


def xlsx_cell_holds(kind: Kind, cell: Any, value: Any, zone: tzinfo) -> bool:
    """An XLSX cell's value against the JSON value (money to the cent)."""
    if value is None:
        return cell is None
    if kind == "bool":
        return cell is value
    if kind == "number":
        if not isinstance(cell, (int, float)) or isinstance(cell, bool):
            return False
        # XlsxWriter writes 16 significant digits (Excel itself shows 15): a float that
        # needs 17 to read back exactly reads back one step off at most.
        return cell == value if isinstance(value, int) else _same_16_digits(cell, value)
    if kind == "money":
        assert isinstance(cell, (int, float)), f"money stored as {type(cell).__name__}"
        return Decimal(repr(cell)).quantize(CENT) == Decimal(value)
    if kind == "list":
        return xstring(cell) == ", ".join(value)
    if kind == "datetime":
        local = datetime.fromisoformat(value).astimezone(zone).replace(tzinfo=None)
        # An Excel date is a float of days: it keeps milliseconds, not microseconds.
        return isinstance(cell, datetime) and abs(cell - local) < timedelta(milliseconds=1)
    if kind == "date":
        return isinstance(cell, datetime) and cell.date() == date.fromisoformat(value)
    return xstring(cell) == value


def xstring(cell: Any) -> Any:
    """OOXML writes control characters as _xHHHH_; openpyxl leaves them so in inline
    strings (the ones constant-memory mode writes)."""
    if not isinstance(cell, str):
        return cell
    return _XSTRING.sub(lambda m: chr(int(m.group(1), 16)), cell)


def _same_16_digits(cell: float, value: float) -> bool:
    return f"{cell:.16g}" == f"{value:.16g}"


def guarded(text: str) -> str:
    return "'" + text if text.startswith(RISKY) else text
