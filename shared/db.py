"""SQLAlchemy 2 async engine and session factory over psycopg 3."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import sqlalchemy.exc
from sqlalchemy import Executable
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import Settings

# What the database being away looks like (server down or restarting, a connection lost
# mid-statement, the pool unable to connect in time): worth a retry, never a crash or a
# 500 (docs/operations.md, "Outages").
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


# libpq's TCP settings for every pooled connection. A peer that vanished without closing
# the connection (a failover, a dropped NAT entry) would otherwise hold a batch for the
# system's defaults: two hours before the first keepalive probe on an idle read, ~15
# minutes of retransmissions on a send. With these the statement fails within about a
# minute, the batch rolls back and is retried on a fresh connection. Ignored over Unix
# sockets (the embedded Postgres).
TCP_SETTINGS = {
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,  # ms of sent data left unacknowledged
}


def create_engine(settings: Settings, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        settings.require_database_url(),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=dict(TCP_SETTINGS),
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any exception.

    Service functions never commit; the shell that owns the batch does, through this.
    """
    async with factory() as session, session.begin():
        yield session


def libpq_conninfo(url: str) -> str:
    """SQLAlchemy URL → libpq conninfo, for plain psycopg connections (CREATE DATABASE
    cannot run inside the pool's transactions; rescore workers, the API's listener), with
    the pool's TCP settings."""
    u = make_url(url)
    parts = [f"dbname={u.database or 'postgres'}", f"user={u.username or 'postgres'}"]
    host = u.query.get("host") or u.host
    if host:
        parts.append(f"host={host}")
    if u.port:
        parts.append(f"port={u.port}")
    if u.password:
        parts.append(f"password={u.password}")
    parts += [f"{name}={value}" for name, value in TCP_SETTINGS.items()]
    return " ".join(parts)


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at database `name`."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def stream_rows(
    session: AsyncSession | AsyncConnection,
    statement: Executable,
    params: Mapping[str, Any] | None = None,
    *,
    batch: int = 1000,
) -> AsyncIterator[Any]:
    """The statement's rows as the database sends them, `batch` at a time from a
    server-side cursor (inside a transaction): memory stays flat however many rows."""
    result = await session.stream(statement.execution_options(yield_per=batch), params)
    async for rows in result.partitions():
        for row in rows:
            yield row
