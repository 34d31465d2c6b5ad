"""One exception family for every error the API returns on purpose.

Each carries its HTTP status and a problem `type`; `problems.py` renders them (and
FastAPI's/Starlette's own errors) as RFC 9457 `application/problem+json`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """Base of every deliberate error response; subclasses fix status and title."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    slug: ClassVar[str] = "internal"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class Unauthorized(ApiError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="kefu"'})


class Forbidden(ApiError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ApiError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ApiError):
    status, title, slug = 409, "Conflict", "conflict"


class Unprocessable(ApiError):
    status, title, slug = 422, "Unprocessable Content", "validation-error"

    @classmethod
    def field(cls, loc: list[str | int], msg: str) -> Unprocessable:
        """One invalid input, named by its location (`["query", "from"]`)."""
        return cls(msg, errors=[{"loc": loc, "msg": msg, "type": "value_error"}])


class ServiceUnavailable(ApiError):
    """A dependency (the database, the broker) is away for a moment: retry later."""

    status, title, slug = 503, "Service Unavailable", "unavailable"
    retry_after_s: ClassVar[int] = 5

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(self.retry_after_s)})
