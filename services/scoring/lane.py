"""A Postgres connection shared by concurrent tasks, one statement at a time.

A batch reads on one connection and writes on another so that Postgres works on one
chunk's reads or writes while Python derives the next (rederive.py); without a second
connection, both lanes are the same and the lock runs everything in turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from services.scoring.repository import Pg


@dataclass(slots=True)
class Lane:
    pg: Pg
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Pg]:
        async with self._lock:
            yield self.pg
