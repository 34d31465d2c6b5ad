"""RFC 9457 problem details: the schema, and the handlers that render every error.

A client's mistake is a 4xx with a message it can act on; an unexpected exception is
logged with its traceback and answered with a 500 problem that reveals nothing inside.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import orjson
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shared.db import DATABASE_UNAVAILABLE
from shared.logging import get_logger

from .exceptions import ApiError, ServiceUnavailable

log = get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = ServiceUnavailable.retry_after_s
TYPE_BASE = "https://kefu-scorecard.dev/problems/"


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the invalid value is: ['query', 'from']")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=[TYPE_BASE + "not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["agent 'a1' does not exist in this shop"])
    instance: str = Field(examples=["/v1/agents/a1"])
    errors: list[FieldError] | None = Field(
        default=None, description="Every invalid input, for validation problems (422)"
    )


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


def _plain_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without `input`/`ctx`, which may hold anything (bytes, objects)."""
    return [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "value_error")),
        }
        for e in exc.errors()
    ]


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _plain_errors(exc)
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return problem_response(
        request,
        status=422,
        slug="validation-error",
        title="Unprocessable Content",
        detail=f"{where}: {first['msg']}{more}",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if exc.status_code == 404 and detail is None:
        detail = f"no route {request.method} {request.url.path}; see /docs for the API"
    elif exc.status_code == 405 and detail is None:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(
        request,
        status=exc.status_code,
        slug=phrase.lower().replace(" ", "-"),
        title=phrase,
        detail=detail or phrase,
        headers=getattr(exc, "headers", None),
    )


def _unavailable(event: str, what: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A handler for a dependency that is away for a moment: logged, then a 503 problem
    with Retry-After (the database and the broker differ only in these two words)."""

    async def handler(request: Request, exc: Exception) -> Response:
        log.warning(event, path=request.url.path, method=request.method, error=repr(exc)[:200])
        return problem_response(
            request,
            status=503,
            slug="unavailable",
            title="Service Unavailable",
            detail=f"{what} is unavailable for a moment; retry after the Retry-After seconds",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    return handler


_database_unavailable = _unavailable("database_unavailable", "the database")
_broker_unavailable = _unavailable("broker_unavailable", "the Kafka broker")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled_error", path=request.url.path, method=request.method, exc_info=exc)
    return problem_response(
        request,
        status=500,
        slug="internal",
        title="Internal Server Error",
        detail="an unexpected error occurred; it has been logged",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for database_error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(database_error, _database_unavailable)
    app.add_exception_handler(KafkaError, _broker_unavailable)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented with the Problem schema."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses
    }
