"""What a bench run alone stands on: DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS when set,
otherwise an embedded Postgres and broker for the run's length (as `make bench` does)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from shared.embedded import EmbeddedKafka, EmbeddedPostgres


@contextmanager
def database(prefix: str) -> Iterator[str]:
    """The database URL: DATABASE_URL, or an embedded Postgres stopped afterwards."""
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "pg")
        try:
            yield postgres.start()
        finally:
            postgres.stop()


@contextmanager
def broker() -> Iterator[str]:
    """The bootstrap servers: KAFKA_BOOTSTRAP_SERVERS, or an embedded broker."""
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield bootstrap
        return
    kafka = EmbeddedKafka()
    try:
        yield kafka.start()
    finally:
        kafka.stop()


@contextmanager
def database_and_broker(prefix: str) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        url = stack.enter_context(database(prefix))
        yield url, stack.enter_context(broker())
