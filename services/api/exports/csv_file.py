"""A report as CSV: UTF-8 with a byte-order mark (so that Excel opens 中文 as UTF-8),
RFC 4180 (CRLF, fields quoted when they hold a comma, quote or line break), a null as an
empty cell, and text cells guarded against formula injection.

Numbers are written as the JSON shows them, byte for byte (counts, the shortest float
that reads back exactly, money as its two-place decimal string), dates ISO 8601,
datetimes ISO 8601 in the shop's time zone with its offset. Rows are encoded `BATCH` at
a time as they arrive.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable
from datetime import datetime, tzinfo
from typing import Any

import orjson

from .columns import LIST_SEPARATOR, NUMERIC, Column, Format, Lang
from .report import Report, Row

BOM = "\ufeff"
BATCH = 1000
# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# carriage return, strips them and then does): such a text cell gets a leading
# apostrophe, which Excel, LibreOffice and Google Sheets read as "this is text".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: Any) -> str | None:
    return None if value is None else guard(str(value))


def _datetime(zone: tzinfo) -> Callable[[Any], str | None]:
    def cell(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(zone).isoformat()

    return cell


def _cell(fmt: Format, zone: tzinfo) -> Callable[[Any], Any] | None:
    """How a value becomes a cell; None: as it is (the csv module writes ints, floats,
    decimal strings and dates as the JSON shows them, and None as an empty cell)."""
    if fmt in NUMERIC or fmt == "date":
        return None
    if fmt == "datetime":
        return _datetime(zone)
    if fmt == "boolean":
        return lambda v: None if v is None else ("true" if v else "false")
    if fmt == "list":
        return lambda v: None if v is None else guard(LIST_SEPARATOR.join(map(str, v)))
    return _text


def _row_maker(columns: list[Column], zone: tzinfo) -> Callable[[Row], Row]:
    """Rows as the csv module should write them: only the columns that need it changed
    (a metrics row's numbers pass through as they are)."""
    changes = [(i, cell) for i, c in enumerate(columns) if (cell := _cell(c.format, zone))]

    def row(values: Row) -> Row:
        if not changes:
            return values
        out = list(values)
        for i, cell in changes:
            out[i] = cell(out[i])
        return out

    return row


def _numbers_from(columns: list[Column]) -> int:
    """Where the row's trailing run of number columns starts (len: none)."""
    start = len(columns)
    while start > 1 and columns[start - 1].format in NUMERIC:
        start -= 1
    return start


def _numbers(rows: list[Row]) -> list[str]:
    """The number cells of many rows as the JSON response encodes them (orjson, as
    /v1/metrics does), one line each, a comma between: null is an empty cell, a money
    string loses its JSON quotes (it holds only digits, `.` and `-`). One orjson call
    for the whole batch; numbers never hold `],[`, so the rows split there."""
    encoded = orjson.dumps(rows, default=str).replace(b"null", b"").replace(b'"', b"")
    return encoded[2:-2].decode().split("],[")


class _Returned:
    """A csv.writer's file whose write returns the line: writerow then gives it back."""

    write = staticmethod(str)


def _lines(rows: list[Row], head: Callable[[Row], Row], split: int, width: int) -> bytes:
    """Rows as CSV lines: the texts through the csv module (quoting), then the trailing
    numbers of every row at once (a metrics row is two texts and thirty numbers)."""
    # QUOTE_MINIMAL, '"' doubled; the csv module quotes a cell holding CR or LF only when
    # its line terminator has them, so each line comes with its CRLF, cut before numbers.
    writerow = csv.writer(_Returned(), lineterminator="\r\n").writerow
    if split == width:
        return "".join([writerow(head(r)) for r in rows]).encode()
    texts = [writerow(head(r[:split])) for r in rows]
    numbers = _numbers([r[split:] for r in rows])
    return "".join([f"{t[:-2]},{n}\r\n" for t, n in zip(texts, numbers, strict=True)]).encode()


async def csv_chunks(
    report: Report, *, lang: Lang, currency: str, zone: tzinfo
) -> AsyncIterator[bytes]:
    columns = list(report.columns)
    writerow = csv.writer(_Returned(), lineterminator="\r\n").writerow
    tz_name = str(zone)
    header = [guard(c.header(lang, currency=currency, timezone=tz_name)) for c in columns]
    yield (BOM + writerow(header)).encode()
    split = _numbers_from(columns)
    head = _row_maker(columns[:split], zone)
    batch: list[Row] = []
    async for values in report.rows:
        batch.append(values)
        if len(batch) == BATCH:
            yield _lines(batch, head, split, len(columns))
            batch = []
    if batch:
        yield _lines(batch, head, split, len(columns))
