"""Property-based tests of the API against its own OpenAPI document (schemathesis).

Generated requests (valid and invalid) must never get a 5xx, and every response must
match the documented status codes, media types and schemas. Bounded to stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import checks
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient

from services.api.app import create_app
from shared.settings import Settings

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def st_app(settings: Settings, database_url: str) -> FastAPI:
    # The ASGI test client runs the app on its own event loop: no pooled connections.
    return create_app(settings, engine=create_async_engine(database_url, poolclass=NullPool))


@pytest.fixture(scope="module")
def st_headers(st_app: FastAPI, settings: Settings) -> Iterator[dict[str, dict[str, str]]]:
    admin = {"Authorization": f"Bearer {settings.admin_token}"}
    with TestClient(st_app) as client:
        client.post("/admin/shops", json={"shop_id": "st-shop", "name": "st"}, headers=admin)
        key = client.post("/admin/shops/st-shop/api-keys", headers=admin).json()["key"]
    yield {"admin": admin, "shop": {"Authorization": f"Bearer {key}"}}


SKIP = {"/readyz", "/admin/pipeline"}  # probe the broker: covered by test_admin_ops
SETTINGS = hypothesis.settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


def test_api_conforms_to_its_openapi(
    st_app: FastAPI, st_headers: dict[str, dict[str, str]]
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", st_app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.path in SKIP:
            continue
        operations += 1
        headers = st_headers["admin" if operation.path.startswith("/admin") else "shop"]

        @SETTINGS
        @hypothesis.given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)  # noqa: B023

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 20
    served = sum(
        sample.value
        for metric in st_app.state.request_metrics.requests.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )
    assert served >= operations * 5, served  # the examples really reached the app
    assert not failures, "\n\n".join(failures)
