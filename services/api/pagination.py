"""Opaque keyset cursors: base64 of the last row's sort key, and the page envelope."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel, Field

from .exceptions import Unprocessable

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str, *parts: type | int) -> list[Any]:
    """The sort key in a cursor. `parts` are the expected types of its items (or one int:
    just its length); a forged or stale cursor is the client's mistake: 422, never a
    database error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        key = None
    if len(parts) == 1 and isinstance(parts[0], int):
        ok = isinstance(key, list) and len(key) == parts[0]
    else:
        ok = (
            isinstance(key, list)
            and len(key) == len(parts)
            and all(
                isinstance(k, t)  # type: ignore[arg-type]
                and not isinstance(k, bool)
                and (not isinstance(k, int) or 0 <= k < 2**63)
                for k, t in zip(key, parts, strict=True)
            )
        )
    if not ok:
        raise Unprocessable.field(
            ["query", "cursor"], "cursor is not one this API returned; start without it"
        )
    assert isinstance(key, list)
    return key


class PageParams(BaseModel):
    cursor: str | None
    limit: int


def _page_params(
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page", max_length=2000)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


PageDep = Annotated[PageParams, Depends(_page_params)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


def page_of(rows: Sequence[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Rows fetched with limit+1 → (this page, next cursor). `key(row)` is its sort key."""
    if len(rows) <= limit:
        return list(rows), None
    page = list(rows[:limit])
    return page, encode_cursor(key(page[-1]))
