"""Fresh migrated databases on one Postgres server, for benchmarks that must not see an
earlier run's rows: one migrated template, cloned per run (CREATE DATABASE … TEMPLATE is
a file copy), everything dropped at the end."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from shared import migrate


def _conninfo(url: str) -> str:
    """SQLAlchemy URL → libpq conninfo (the server's maintenance database)."""
    u = make_url(url)
    parts = [f"dbname={u.database or 'postgres'}", f"user={u.username or 'postgres'}"]
    host = u.query.get("host") or u.host
    if host:
        parts.append(f"host={host}")
    if u.port:
        parts.append(f"port={u.port}")
    if u.password:
        parts.append(f"password={u.password}")
    return " ".join(parts)


def _url(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def bench_databases(server_url: str) -> Iterator[Callable[[], str]]:
    """Yields a function returning the URL of a new migrated database at each call."""
    prefix = f"kefu_bench_{uuid.uuid4().hex[:8]}"
    template = f"{prefix}_template"
    created = [template]
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{template}"')
    migrate.upgrade(_url(server_url, template))

    def fresh() -> str:
        name = f"{prefix}_{len(created)}"
        with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        created.append(name)
        return _url(server_url, name)

    try:
        yield fresh
    finally:
        with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
            for name in reversed(created):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
