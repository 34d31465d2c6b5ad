"""Fresh migrated databases on one Postgres server, for benchmarks that must not see an
earlier run's rows: one migrated template, cloned per run (CREATE DATABASE … TEMPLATE is
a file copy), everything dropped at the end."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from shared import migrate
from shared.db import libpq_conninfo, with_database


@contextmanager
def bench_databases(server_url: str) -> Iterator[Callable[[], str]]:
    """Yields a function returning the URL of a new migrated database at each call."""
    prefix = f"kefu_bench_{uuid.uuid4().hex[:8]}"
    template = f"{prefix}_template"
    created = [template]
    with psycopg.connect(libpq_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{template}"')
    migrate.upgrade(with_database(server_url, template))

    def fresh() -> str:
        name = f"{prefix}_{len(created)}"
        with psycopg.connect(libpq_conninfo(server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        created.append(name)
        return with_database(server_url, name)

    try:
        yield fresh
    finally:
        with psycopg.connect(libpq_conninfo(server_url), autocommit=True) as conn:
            for name in reversed(created):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
