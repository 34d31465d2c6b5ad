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
from collections.abc import AsyncIterator
from datetime import tzinfo
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .columns import Format, Lang
from .report import Report, Row
from .xlsx_rows import RowEncoder
from .xlsx_zip import DeflatedRows, register, unregister

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


class _Sheet:
    """One worksheet: its header through XlsxWriter's API, its rows through RowEncoder
    (xlsx_rows.py: the same XML, a row at a time)."""

    def __init__(
        self,
        book: Any,
        report: Report,
        lang: Lang,
        currency: str,
        zone: tzinfo,
        rows: DeflatedRows | None = None,
    ) -> None:
        self.sheet: Worksheet = book.add_worksheet(report.sheet_name(lang))
        formats = {f: book.add_format({"num_format": n}) for f, n in _NUMBER_FORMATS.items()}
        formats["money"] = book.add_format({"num_format": money_format(currency)})
        header = book.add_format({"bold": True})
        self.columns = list(report.columns)
        for i, column in enumerate(self.columns):
            title = column.header(lang, currency=currency, timezone=str(zone))
            self.sheet.set_column(i, i, _width(title, column.format))
            self.sheet.write_string(0, i, title, header)
        self.sheet.freeze_panes(1, 0)
        styles = [formats.get(c.format) for c in self.columns]
        self.rows_out = RowEncoder(
            self.sheet,
            [c.format for c in self.columns],
            [None if s is None else s._get_xf_index() for s in styles],
            guarded_style=book.add_format({"quote_prefix": True})._get_xf_index(),
            zone=zone,
            sink=None if rows is None else rows.write,
        )
        self.rows = 1

    def write(self, rows: list[Row]) -> None:
        room = max(MAX_ROWS - 1 - self.rows, 0)  # the last row says that the rest did not fit
        fitting = rows[:room]
        self.rows_out.write(self.rows, fitting)
        self.rows += len(fitting)
        if len(rows) > len(fitting) and self.rows == MAX_ROWS - 1:
            self.rows_out.write_text(self.rows, "… (Excel holds no more rows: use CSV)")
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
        rows = DeflatedRows(os.path.join(tmp, "rows.deflate"))  # xlsx_zip.py
        try:
            sheet = _Sheet(book, report, lang, currency, zone, rows)
            batch: list[Row] = []
            async for values in report.rows:
                batch.append(values)
                if len(batch) == BATCH:
                    await asyncio.to_thread(sheet.write, batch)
                    batch = []
            await asyncio.to_thread(sheet.write, batch)
            sheet.finish()
        finally:
            await asyncio.to_thread(rows.close)
        register(path, rows)
        try:
            await asyncio.to_thread(book.close)
        finally:
            unregister(path)
        with open(path, "rb") as file:  # noqa: ASYNC230 (read in the worker thread below)
            while chunk := await asyncio.to_thread(file.read, CHUNK):
                yield chunk
