"""The zip of an XLSX export: its sheet's rows deflated while they are written.

XlsxWriter assembles the workbook when it is closed: it copies the sheet's row file (in
constant-memory mode) into the sheet's XML and then deflates that into the zip, on one
core after the last row (a year of metrics: 297 MB of XML, 2.5 s). Here the rows never
reach XlsxWriter's row file: `DeflatedRows` takes each batch's `<row>` XML and deflates
it in a thread of its own while the next batches are encoded (zlib runs without the GIL),
so the machine's second core does it. When XlsxWriter zips the sheet (its row data holds
the header row only), `_ZipFile` puts the sheet's entry together: the XML before
`</sheetData>` deflated, the rows' deflated stream, the rest deflated, each part ended
at a byte boundary (a sync flush), which makes one deflate stream; its CRC-32 combines
the parts' (`crc32_combine`, as zlib's).

Every part of the workbook is XlsxWriter's; only the zip's deflate is done here, at
ZIP_LEVEL (XlsxWriter names no level: zlib's default 6 took 7.2 s of the 297 MB, level 1
1.9 s for a file a quarter larger). Any deflate level reads the same (openpyxl, Excel).
"""

from __future__ import annotations

import queue
import threading
import zipfile
import zlib
from typing import Any

import xlsxwriter.workbook

ZIP_LEVEL = 1
SHEET = "xl/worksheets/sheet1.xml"  # an export's one sheet
_END_OF_ROWS = b"</sheetData>"
_PENDING = 2  # batches of rows waiting for the deflate thread, at most (memory bound)


def _deflater() -> Any:
    return zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw, as in a zip


class DeflatedRows:
    """A sheet's `<row>` XML, deflated into `path` in a thread as it is written: a raw
    deflate stream ended by a sync flush, with the CRC-32 and size of what went in."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.crc = 0
        self.size = 0
        self._file = open(path, "wb")  # noqa: SIM115 (closed by the thread's end)
        self._queue: queue.Queue[str | None] = queue.Queue(_PENDING)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)
        self._thread.start()

    def write(self, xml: str) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(xml)

    def _run(self) -> None:
        deflate = _deflater()
        ended = False  # close() was called
        try:
            while (xml := self._queue.get()) is not None:
                data = xml.encode()
                self.crc = zlib.crc32(data, self.crc)
                self.size += len(data)
                self._file.write(deflate.compress(data))
            ended = True
            self._file.write(deflate.flush(zlib.Z_SYNC_FLUSH))
        except BaseException as error:  # reported by write() and close()
            self._error = error
            while not ended and self._queue.get() is not None:  # a waiting writer goes on
                pass
        finally:
            self._file.close()

    def close(self) -> None:
        """Waits for the last rows to be deflated."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


# The rows of each workbook being closed, by the path of its zip (XlsxWriter opens the zip
# itself, by that path).
_ROWS: dict[str, DeflatedRows] = {}


def register(zip_path: str, rows: DeflatedRows) -> None:
    _ROWS[zip_path] = rows


def unregister(zip_path: str) -> None:
    _ROWS.pop(zip_path, None)


class _AsItIs:
    """The "compressor" of an entry whose data is deflated already."""

    @staticmethod
    def compress(data: bytes) -> bytes:
        return data

    @staticmethod
    def flush() -> bytes:
        return b""


class _ZipFile(zipfile.ZipFile):
    """zipfile.ZipFile at ZIP_LEVEL, with a registered workbook's rows spliced into its
    sheet: what XlsxWriter's workbook zips with (set below; the exports are the only
    XlsxWriter workbooks of the API)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        rows = _ROWS.get(str(self.filename))
        if rows is None or arcname != SHEET:
            super().write(filename, arcname, *args, **kwargs)
            return
        with open(filename, "rb") as file:
            xml = file.read()  # the sheet without its rows: a few kB
        cut = xml.rindex(_END_OF_ROWS)
        before, after = xml[:cut], xml[cut:]
        first, last = _deflater(), _deflater()
        head = first.compress(before) + first.flush(zlib.Z_SYNC_FLUSH)
        tail = last.compress(after) + last.flush()
        crc = crc32_combine(zlib.crc32(before), rows.crc, rows.size)
        crc = crc32_combine(crc, zlib.crc32(after), len(after))
        size = len(before) + rows.size + len(after)
        info = zipfile.ZipInfo.from_file(filename, arcname)
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.open(info, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as entry:
            entry._compressor = _AsItIs  # type: ignore[attr-defined]
            entry.write(head)
            with open(rows.path, "rb") as deflated:
                while chunk := deflated.read(1 << 20):
                    entry.write(chunk)
            entry.write(tail)
            # what was written is the deflated stream; its CRC and size are the XML's
            entry._crc = crc  # type: ignore[attr-defined]
            entry._file_size = size  # type: ignore[attr-defined]


xlsxwriter.workbook.ZipFile = _ZipFile  # type: ignore[misc]


# -- CRC-32 of a concatenation (zlib's crc32_combine, which Python's zlib lacks) --------


def _times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of a + b from crc32(a), crc32(b) and len(b)."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four zero bits
    while True:
        even = _square(odd)
        if length2 & 1:
            crc1 = _times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _square(even)
        if length2 & 1:
            crc1 = _times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2
