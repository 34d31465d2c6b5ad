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
from functools import lru_cache
from itertools import count
from typing import Any

from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

from .columns import LIST_SEPARATOR, NUMERIC, Format
from .csv_file import FORMULA_STARTS

STRING_MAX = 32767  # UTF-16 units, Excel's limit for a cell's text


@lru_cache(maxsize=4096)  # a metrics file repeats its periods and agents on every row
def _text_xml(text: str) -> str:
    if len(text) > STRING_MAX // 2 and _utf16_len(text) > STRING_MAX:
        text = _utf16_truncate(text, STRING_MAX)
    text = XMLwriter._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<is><t{space}>{escaped}</t></is>"


_EXACT = 2**53  # every int up to this is a float exactly


def _number(value: Any) -> str:
    """A number as XlsxWriter writes it, with 16 significant digits (`.16G`; a decimal
    string as its float). An int within ±2⁵³ is a float exactly, and its digits are
    then the int's own (str, several times faster)."""
    if value.__class__ is int and -_EXACT <= value <= _EXACT:
        return str(value)
    return format(float(value) if value.__class__ is str else value, ".16G")


_SMALL = tuple(format(i, ".16G") for i in range(4096))  # the counts of most cells


def _style(xf: int | None) -> str:
    return "" if xf is None else f' s="{xf}"'


class RowEncoder:
    """Encodes rows of given column formats as XlsxWriter's constant-memory row XML.

    The encoder of a row is one function compiled for the columns (`_compile`): it
    unpacks the row into names and joins one expression per cell, nothing (None) or the
    cell's XML, an f-string with its column letters and style written in, so a cell costs
    a conditional and a number format rather than a call."""

    def __init__(
        self,
        sheet: Worksheet,
        formats: Sequence[Format],
        styles: Sequence[int | None],
        *,
        guarded_style: int,
        zone: tzinfo,
        sink: Callable[[str], object] | None = None,
    ) -> None:
        """`sink`: where rows' XML goes (default: the sheet's row file)."""
        self.sheet = sheet
        self.zone = zone
        self.sink = sink
        self.guarded = _style(guarded_style)
        self.width = len(formats)
        self.encode = self._compile(formats, styles)

    def _compile(
        self, formats: Sequence[Format], styles: Sequence[int | None]
    ) -> Callable[[int, Sequence[Any]], str]:
        scope: dict[str, Any] = {
            "_text": self._text,
            "_join": LIST_SEPARATOR.join,
            "_number": _number,
            "_SMALL": _SMALL,
            "_N": len(_SMALL),
        }
        cells = []
        for i, (fmt, xf) in enumerate(zip(formats, styles, strict=True)):
            letters, style, v = xl_col_to_name(i), _style(xf), f"v{i}"
            if fmt in NUMERIC:
                # XlsxWriter writes a number with 16 significant digits (`.16G`, ~0.5 µs a
                # cell); a count (a small int) is looked up instead (_number).
                number = (
                    f"(_SMALL[{v}] if {v}.__class__ is int and 0 <= {v} < _N else _number({v}))"
                )
                cell = f"""f'<c r="{letters}{{r}}"{style}><v>{{{number}}}</v></c>'"""
            elif fmt in ("date", "datetime"):
                scope[f"_serial{i}"] = self._serial(fmt)
                cell = f"""f'<c r="{letters}{{r}}"{style}><v>{{_serial{i}({v}):.16G}}</v></c>'"""
            elif fmt == "boolean":
                cell = f"""f'<c r="{letters}{{r}}"{style} t="b"><v>{{1 if {v} else 0}}</v></c>'"""
            elif fmt == "list":
                cell = f"_text('{letters}', r, _join(map(str, {v})))"
            else:
                cell = f"_text('{letters}', r, str({v}))"
            cells.append(f"        ('' if {v} is None else {cell}),")
        names = ", ".join(f"v{i}" for i in range(len(formats)))
        source = "\n".join(
            [
                "def encode(r, values):",
                f"    ({names},) = values",
                "    r = str(r)  # in every cell's reference",
                "    return ''.join((",
                """        f'<row r="{r}">',""",
                *cells,
                "        '</row>',",
                "    ))",
                "",
            ]
        )
        exec(compile(source, "<xlsx_rows.RowEncoder>", "exec"), scope)
        encode: Callable[[int, Sequence[Any]], str] = scope["encode"]
        return encode

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

    def write(self, first: int, rows: Sequence[Sequence[Any]]) -> None:
        """Rows first, first+1, … (0-based, as XlsxWriter counts; None is no cell)
        appended to the sheet's rows, after any row still held in XlsxWriter's table
        (the header) has been written."""
        if not rows:
            return
        encode = self.encode
        xml = "".join([encode(r, v) for r, v in zip(count(first + 1), rows)])
        self._append(first, first + len(rows) - 1, xml)

    def write_text(self, index: int, text: str) -> None:
        """Row `index` holding one text cell (in the first column)."""
        r = index + 1
        self._append(index, index, f'<row r="{r}">{self._text("A", r, text)}</row>')

    def _append(self, first: int, last: int, xml: str) -> None:
        sheet = self.sheet
        if first > sheet.previous_row:
            sheet._write_single_row(first)  # flushes the header row, as its writers do
        (self.sink or sheet.fh.write)(xml)
        sheet._check_dimensions(last, self.width - 1)
        sheet.previous_row = last + 1
