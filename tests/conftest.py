"""Test layout: one folder per part of the code (tests/ingest, tests/scoring, tests/api,
…), as the code is laid out, plus tests/oracle (the independent SPEC recomputation) and
tests/e2e (the whole pipeline). A test that uses the real Postgres or broker is marked
`integration` here, so `pytest -m "not integration"` runs the pure tests alone."""

from __future__ import annotations

import hypothesis
import pytest

from tests.fixtures.infra import (  # noqa: F401  (pytest fixtures)
    database_url,
    db,
    engine,
    kafka_bootstrap,
    migrated_template,
    postgres_url,
    settings,
)

# Hypothesis times each example (200 ms deadline) and each strategy's generation (the
# too_slow health check) by the wall clock: on a loaded machine or beside another xdist
# worker that races the code, not the property. Examples stay as many and as varied.
hypothesis.settings.register_profile(
    "kefu",
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
hypothesis.settings.load_profile("kefu")

_REAL_SERVICES = {"postgres_url", "kafka_bootstrap"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _REAL_SERVICES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
