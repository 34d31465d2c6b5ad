"""Migrations are the only way the schema changes: up, down, and equal to shared.schema."""

from __future__ import annotations

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from shared import migrate
from shared.db import libpq_conninfo
from shared.schema import metadata
from tests.fixtures.infra import create_database


def _tables(url: str) -> set[str]:
    with psycopg.connect(libpq_conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows} - {"alembic_version"}


def test_upgrade_downgrade_upgrade(postgres_url: str) -> None:
    url = create_database(postgres_url, template=None)
    migrate.upgrade(url)
    assert _tables(url) == set(metadata.tables)
    migrate.downgrade(url, "base")
    assert _tables(url) == set()
    migrate.upgrade(url)
    assert _tables(url) == set(metadata.tables)


def test_schema_module_matches_migrations(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == [], f"shared/schema.py and migrations/ differ: {diff}"


def test_every_table_is_keyed_by_shop_id_first() -> None:
    pipeline_tables = {"consumer_offsets"}  # per consumer group and partition, not shop data
    for name, table in metadata.tables.items():
        if name in pipeline_tables:
            continue
        first = next(iter(table.primary_key.columns)).name
        assert first == "shop_id", f"{name}'s primary key starts with {first}"


def test_downgrading_the_response_parts_merges_them(postgres_url: str) -> None:
    from domain.spread import decode, encode

    url = create_database(postgres_url, template=None)
    migrate.upgrade(url)
    rows = [
        ("s", "a", 0, encode([1, 5, 9]), encode([5])),
        ("s", "a", 1, encode([2, 5]), encode([2])),
        ("s", "b", 1, encode([4]), encode([])),  # a recent part alone
    ]
    with psycopg.connect(libpq_conninfo(url)) as conn:
        for row in rows:
            conn.execute(
                "INSERT INTO agent_responses"
                " (shop_id, agent_id, day, part, response_us, first_response_us)"
                " VALUES (%s, %s, '2026-11-11', %s, %s, %s)",
                row,
            )
    migrate.downgrade(url, "0013")
    with psycopg.connect(libpq_conninfo(url)) as conn:
        got = conn.execute(
            "SELECT agent_id, response_us, first_response_us FROM agent_responses ORDER BY agent_id"
        ).fetchall()
    assert [(a, list(decode(r)), list(decode(f))) for a, r, f in got] == [
        ("a", [1, 2, 5, 5, 9], [2, 5]),
        ("b", [4], []),
    ]
