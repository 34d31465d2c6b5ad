"""The XLSX zip with its sheet's rows deflated beside XlsxWriter (xlsx_zip.py): the same
sheet XML as XlsxWriter's own row file gives, a zip whose CRCs check, the last row that
says the rest did not fit."""

from __future__ import annotations

import io
import os
import random
import tempfile
import zipfile
import zlib
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from services.api.exports import xlsx_file
from services.api.exports.columns import Column
from services.api.exports.report import Report, Row
from services.api.exports.xlsx_file import _Sheet, xlsx_chunks
from services.api.exports.xlsx_zip import SHEET, DeflatedRows, crc32_combine

COLUMNS = (
    Column("name", "名字", "name"),
    Column("n", "数", "n", "integer"),
    Column("rate", "率", "rate", "percent"),
)
ROWS: list[Row] = [
    ("=x" if i == 0 else f"行{i} <&>", i * 7 if i % 5 else None, i / 7) for i in range(20)
]


async def _rows() -> AsyncIterator[Row]:
    for row in ROWS:
        yield row


def _report() -> Report:
    return Report("t", "表", "table", "p", COLUMNS, _rows())


def _xlsxwriters_own(max_rows: int) -> bytes:
    """The sheet XML written with XlsxWriter's row file (no rows deflated beside)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "own.xlsx")
        book = xlsxwriter.Workbook(
            path, {"constant_memory": True, "tmpdir": tmp, "strings_to_formulas": False}
        )
        sheet = _Sheet(book, _report(), "en", "CNY", UTC)
        for i in range(0, len(ROWS), 3):
            sheet.write(list(ROWS[i : i + 3]))
        sheet.finish()
        book.close()
        with zipfile.ZipFile(path) as archive:
            return archive.read(SHEET)


@pytest.mark.parametrize("max_rows", [1_048_576, 9])
async def test_rows_deflated_beside_make_the_same_sheet(
    monkeypatch: pytest.MonkeyPatch, max_rows: int
) -> None:
    monkeypatch.setattr(xlsx_file, "BATCH", 3)
    monkeypatch.setattr(xlsx_file, "MAX_ROWS", max_rows)
    chunks = xlsx_chunks(_report(), lang="en", currency="CNY", zone=UTC)
    body = b"".join([chunk async for chunk in chunks])
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None  # every entry's CRC-32 checks
        assert archive.read(SHEET) == _xlsxwriters_own(max_rows)
    values = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(body)).active]
    expected: list[list[Any]] = [[r[0], r[1], r[2]] for r in ROWS]
    if max_rows == 9:  # the header, 7 rows and the row that says the rest did not fit
        expected = [*expected[:7], ["… (Excel holds no more rows: use CSV)", None, None]]
    assert values[0] == ["name", "n", "rate"]
    assert [[v[0], v[1], None if v[2] is None else round(v[2], 12)] for v in values[1:]] == [
        [e[0], e[1], None if e[2] is None else round(e[2], 12)] for e in expected
    ]


def test_crc32_of_a_concatenation() -> None:
    rng = random.Random(3)
    for size_a, size_b in [(0, 0), (1, 0), (0, 5), (17, 1), (1000, 65537), (3, 1 << 20)]:
        a, b = rng.randbytes(size_a), rng.randbytes(size_b)
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_a_failed_deflate_is_reported_not_hung(tmp_path: Any) -> None:
    rows = DeflatedRows(str(tmp_path / "rows"))
    rows.write("<row/>")
    rows._file.close()  # the next write fails in the thread
    for _ in range(5):  # more than the queue holds: the writer is never stuck
        with suppress(ValueError):
            rows.write("<row/>" * 1000)
    with pytest.raises(ValueError):
        rows.close()
