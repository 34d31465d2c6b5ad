"""A report as an XLSX workbook of one sheet, through XlsxWriter in constant-memory mode.

Numbers are stored as numbers with a format (fractions as percentages, money with two
decimals and the shop's currency, seconds as seconds), dates and datetimes as Excel dates
in the shop's time zone, texts as text cells: never a formula (strings_to_formulas is
off), and a text a spreadsheet would read as one (formula_guard) carries Excel's quote
prefix, so that it stays text even when a person edits the cell. The header row is
frozen and carries an autofilter.

Constant-memory mode writes each row to a temporary file as it is given, so memory stays
flat however many rows; the workbook (a zip) is assembled when the last row is written
and then sent in chunks. The writing runs in a worker thread, a batch of rows at a time,
so the event loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import datetime, tzinfo
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format as CellFormat
from xlsxwriter.worksheet import Worksheet

from .columns import LIST_SEPARATOR, Format, Lang
from .csv_file import FORMULA_STARTS
from .report import Report, Row

BATCH = 2000
CHUNK = 1 << 20
MAX_ROWS = 1_048_576  # Excel's limit, the header row included
_NUMBER_FORMATS: dict[Format, str] = {
    "integer": "0",
    "decimal": "0.00",
    "percent": "0.00%",
    "seconds": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
_CURRENCY_UNSAFE = re.compile(r'["\\;]')


def money_format(currency: str) -> str:
    return f'#,##0.00" {_CURRENCY_UNSAFE.sub("", currency)}"'


Writer = Callable[[int, int, Any], Any]


class _Sheet:
    """One worksheet and how each column's values are written into it."""

    def __init__(self, book: Any, report: Report, lang: Lang, currency: str, zone: tzinfo) -> None:
        self.sheet: Worksheet = book.add_worksheet(report.sheet_name(lang))
        self.zone = zone
        self.guarded: CellFormat = book.add_format({"quote_prefix": True})
        formats = {f: book.add_format({"num_format": n}) for f, n in _NUMBER_FORMATS.items()}
        formats["money"] = book.add_format({"num_format": money_format(currency)})
        header = book.add_format({"bold": True})
        self.columns = list(report.columns)
        self.writers = [self._writer(c.format, formats.get(c.format)) for c in self.columns]
        for i, column in enumerate(self.columns):
            title = column.header(lang, currency=currency, timezone=str(zone))
            self.sheet.set_column(i, i, _width(title, column.format))
            self.sheet.write_string(0, i, title, header)
        self.sheet.freeze_panes(1, 0)
        self.rows = 1

    def _writer(self, fmt: Format, cell_format: CellFormat | None) -> Writer:
        s = self.sheet
        if fmt in ("integer", "decimal", "percent", "money", "seconds"):
            # money and exact decimals arrive as decimal strings: stored as the number
            return lambda r, c, v: s.write_number(
                r, c, v if type(v) is not str else float(v), cell_format
            )
        if fmt == "date":
            return lambda r, c, v: s.write_datetime(r, c, v, cell_format)
        if fmt == "datetime":
            return lambda r, c, v: s.write_datetime(r, c, self._local(v), cell_format)
        if fmt == "boolean":
            return s.write_boolean
        if fmt == "list":
            return lambda r, c, v: self._text(r, c, LIST_SEPARATOR.join(map(str, v)))
        return lambda r, c, v: self._text(r, c, str(v))

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone).replace(tzinfo=None)  # Excel has no time zones

    def _text(self, row: int, col: int, text: str) -> None:
        guarded = self.guarded if text.startswith(FORMULA_STARTS) else None
        self.sheet.write_string(row, col, text, guarded)

    def write(self, rows: list[Row]) -> None:
        writers = self.writers
        for values in rows:
            if self.rows == MAX_ROWS - 1:
                self.sheet.write_string(self.rows, 0, "… (Excel holds no more rows: use CSV)")
                self.rows += 1
            if self.rows >= MAX_ROWS:
                return
            row = self.rows
            for col, (write, value) in enumerate(zip(writers, values, strict=True)):
                if value is not None:
                    write(row, col, value)
            self.rows += 1

    def finish(self) -> None:
        self.sheet.autofilter(0, 0, max(self.rows - 1, 1), len(self.columns) - 1)


def _width(title: str, fmt: Format) -> float:
    wide = sum(2 if ord(ch) > 0x2E7F else 1 for ch in title)  # CJK takes two columns
    return max(wide + 2, 20 if fmt == "datetime" else 10)


async def xlsx_chunks(
    report: Report, *, lang: Lang, currency: str, zone: tzinfo
) -> AsyncIterator[bytes]:
    with tempfile.TemporaryDirectory(prefix="kefu-xlsx-") as tmp:
        path = os.path.join(tmp, "report.xlsx")
        book = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "tmpdir": tmp,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = _Sheet(book, report, lang, currency, zone)
        batch: list[Row] = []
        async for values in report.rows:
            batch.append(values)
            if len(batch) == BATCH:
                await asyncio.to_thread(sheet.write, batch)
                batch = []
        await asyncio.to_thread(sheet.write, batch)
        sheet.finish()
        await asyncio.to_thread(book.close)
        with open(path, "rb") as file:  # noqa: ASYNC230 (read in the worker thread below)
            while chunk := await asyncio.to_thread(file.read, CHUNK):
                yield chunk
