"""Rows of a constant-memory XlsxWriter sheet, encoded a whole row at a time.

XlsxWriter's cell API costs a few microseconds a cell in pure Python (a decorator, the
dimension checks, a cell tuple, an attribute list, an escape per attribute): a metrics row
of 33 cells spent ~100 µs there, which capped an XLSX export near 5 000 rows/s. In
constant-memory mode XlsxWriter itself writes each finished row as `<row>` XML into a
temporary file and copies that file into the sheet when the workbook closes. This module
writes the same XML into the same file, one string a row, from per-column templates made
once: the cell reference's column letters and the cell's style index are fixed per
column, so a cell is one f-string. Escaping, the string limit and date serials are
XlsxWriter's own functions, so a cell reads back exactly as one written through its API
(tests/api/test_exports.py reads files back with openpyxl; test_export_parts.py compares
this encoder with XlsxWriter's cell API byte for byte).

Everything else of the workbook (styles, the header row, frozen panes, the autofilter,
the zip) stays XlsxWriter's. The sheet's dimension is recorded through its
`_check_dimensions`, as its own writers do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

from .columns import LIST_SEPARATOR, NUMERIC, Format
from .csv_file import FORMULA_STARTS

STRING_MAX = 32767  # UTF-16 units, Excel's limit for a cell's text

Cell = Callable[[int, Any], str]  # (1-based row number, value) → the cell's XML


def _text_xml(text: str) -> str:
    if len(text) > STRING_MAX // 2 and _utf16_len(text) > STRING_MAX:
        text = _utf16_truncate(text, STRING_MAX)
    text = XMLwriter._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<is><t{space}>{escaped}</t></is>"


def _number(value: Any) -> Any:
    return value if type(value) is not str else float(value)


def _style(xf: int | None) -> str:
    return "" if xf is None else f' s="{xf}"'


class RowEncoder:
    """Encodes rows of given column formats as XlsxWriter's constant-memory row XML."""

    def __init__(
        self,
        sheet: Worksheet,
        formats: Sequence[Format],
        styles: Sequence[int | None],
        *,
        guarded_style: int,
        zone: tzinfo,
    ) -> None:
        self.sheet = sheet
        self.zone = zone
        self.guarded = _style(guarded_style)
        self.cells = [
            self._cell(xl_col_to_name(i), fmt, _style(xf))
            for i, (fmt, xf) in enumerate(zip(formats, styles, strict=True))
        ]

    def _cell(self, letters: str, fmt: Format, style: str) -> Cell:
        if fmt in NUMERIC:
            # money and exact decimals arrive as decimal strings: stored as the number
            head, tail = f'<c r="{letters}', f'"{style}><v>'
            return lambda r, v: f"{head}{r}{tail}{_number(v):.16G}</v></c>"
        if fmt in ("date", "datetime"):
            serial = self._serial(fmt)
            return lambda r, v: f'<c r="{letters}{r}"{style}><v>{serial(v):.16G}</v></c>'
        if fmt == "boolean":
            return lambda r, v: f'<c r="{letters}{r}"{style} t="b"><v>{1 if v else 0}</v></c>'
        if fmt == "list":
            return lambda r, v: self._text(letters, r, LIST_SEPARATOR.join(map(str, v)))
        return lambda r, v: self._text(letters, r, str(v))

    def _serial(self, fmt: Format) -> Callable[[date | datetime], float]:
        convert = self.sheet._convert_date_time
        if fmt == "date":
            return convert  # type: ignore[no-any-return]
        zone = self.zone
        # Excel has no time zones: the shop's wall clock
        return lambda v: convert(v.astimezone(zone).replace(tzinfo=None))  # type: ignore[union-attr]

    def _text(self, letters: str, row: int, text: str) -> str:
        # a text a spreadsheet would read as a formula carries Excel's quote prefix
        style = self.guarded if text.startswith(FORMULA_STARTS) else ""
        return f'<c r="{letters}{row}"{style} t="inlineStr">{_text_xml(text)}</c>'

    def encode(self, index: int, values: Sequence[Any]) -> str:
        """Row `index` (0-based, as XlsxWriter counts) as `<row>` XML; None is no cell."""
        r = index + 1
        pairs = zip(self.cells, values, strict=True)
        cells = "".join(cell(r, value) for cell, value in pairs if value is not None)
        return f'<row r="{r}">{cells}</row>'

    def write(self, first: int, rows: Sequence[Sequence[Any]]) -> None:
        """Rows first, first+1, … appended to the sheet's row file, after any row still
        held in XlsxWriter's table (the header) has been written."""
        if not rows:
            return
        sheet = self.sheet
        if first > sheet.previous_row:
            sheet._write_single_row(first)  # flushes the header row, as its writers do
        sheet.fh.write("".join(self.encode(first + i, values) for i, values in enumerate(rows)))
        last = first + len(rows) - 1
        sheet._check_dimensions(last, len(self.cells) - 1)
        sheet.previous_row = last + 1
