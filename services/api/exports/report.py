"""A report: what an export writes, whatever the format.

A report is typed rows: its columns (columns.py: header labels and format) and its rows,
one value per column, yielded as they are read (a report over many rows streams them from
a server-side cursor and never holds them). The values are those of the JSON response of
the same query (counts int, rates floats, money decimal strings, None for null), except
that dates and datetimes are objects. Most reports build rows from their JSON items
(dicts) with `rows_of`; /v1/metrics rows come straight from the summed parts.

Everything a report can refuse (a bad parameter, another shop's plan) is checked before
it is built, so that an export fails as a problem+json before any byte of a file.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .columns import Column, Lang

T = TypeVar("T")
Row = Sequence[Any]
Item = Mapping[str, Any]
# Excel refuses these in a sheet name, and names longer than 31 characters.
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True, slots=True)
class Report:
    name: str  # in the file name: metrics-day-agent, bonuses-bp_…, inquiries-lost
    title_zh: str  # the sheet's name
    title_en: str
    period: str  # in the file name: 2026-11-01_2026-11-30, 2026-W46, 2026-11, all
    columns: Sequence[Column]
    rows: AsyncIterable[Row]

    def sheet_name(self, lang: Lang) -> str:
        title = self.title_zh if lang == "zh" else self.title_en
        return _SHEET_UNSAFE.sub("_", title)[:31] or "report"


async def rows_of(columns: Sequence[Column], items: AsyncIterable[Item]) -> AsyncIterator[Row]:
    """JSON items (dicts) as rows of these columns."""
    readers = [c.reader() for c in columns]
    async for item in items:
        yield [read(item) for read in readers]


async def streamed(
    engine: AsyncEngine, stream: Callable[[AsyncConnection], AsyncIterable[T]]
) -> AsyncIterator[T]:
    """What `stream` reads on a connection of its own, in one transaction: the response
    streams after the endpoint (and its unit of work) has returned, and a server-side
    cursor lives in a transaction."""
    async with engine.connect() as conn, conn.begin():
        async for found in stream(conn):
            yield found


async def listed(items: Iterable[Item]) -> AsyncIterator[Item]:
    """Items computed in memory (a plan's results, a leaderboard), as an async stream."""
    for item in items:
        yield item


def range_label(start: date | None, end: date | None) -> str:
    """The period of a from/to query in a file name; `all` when unbounded."""
    if start is None and end is None:
        return "all"
    return f"{start or 'start'}_{end or 'end'}"
