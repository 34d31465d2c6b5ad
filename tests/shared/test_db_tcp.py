"""Pooled and plain connections carry libpq's keepalive and TCP timeout settings (shared/db.py
TCP_SETTINGS), so a peer that vanished fails a statement within about a minute instead
of holding a batch for the system's defaults."""

from __future__ import annotations

import psycopg

from shared.db import TCP_SETTINGS, create_engine, libpq_conninfo
from shared.settings import Settings


async def test_every_pooled_connection_carries_the_tcp_settings(database_url: str) -> None:
    engine = create_engine(Settings(database_url=database_url), pool_size=1)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            parameters = raw.driver_connection.info.get_parameters()  # type: ignore[union-attr]
    finally:
        await engine.dispose()
    _assert_carried(parameters)


async def test_plain_connections_carry_them_too(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(libpq_conninfo(database_url)) as conn:
        parameters = conn.info.get_parameters()
    _assert_carried(parameters)


def _assert_carried(parameters: dict[str, str]) -> None:
    assert {k: parameters.get(k) for k in TCP_SETTINGS} == {
        k: str(v) for k, v in TCP_SETTINGS.items()
    }
