"""Abuse limits, as one pure ASGI middleware in front of everything else (issue #18).

- **Per API key**: a token bucket per presented bearer key on /v1 (rate per second,
  burst); beyond it 429 with Retry-After. Keyed by a hash of the presented key, before it
  is checked, so the cached fast path is limited too.
- **Failed authentication per client address**: every 401/403 answered to an address
  spends a token of its bucket; once empty, the address gets 429 with Retry-After on
  /v1 and /admin before its credentials are even looked at (guessing keys or the admin
  token gets slow).
- **Request body**: a Content-Length over the limit is refused with 413 before anything
  reads it; a body without Content-Length (chunked) is counted as it is read and refused
  with 413 once over.

Buckets live in this process (each API process limits on its own: with N processes
behind a balancer a key gets up to N times the rate; docs/api.md). The address is the
ASGI client address: behind a proxy, run uvicorn with --proxy-headers and
--forwarded-allow-ips so that it is the caller's. Time is the monotonic clock, injectable.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from fastapi import HTTPException  # FastAPI re-raises its own while reading a body
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PROBLEM_MEDIA_TYPE, TYPE_BASE

MAX_BUCKETS = 100_000  # the least recently used go first: memory stays bounded


@dataclass(frozen=True, slots=True)
class Limits:
    """0 (or less) for a rate switches that limit off."""

    key_rate: float = 100.0  # requests per second per API key, sustained
    key_burst: int = 200
    auth_failure_rate: float = 1.0 / 6  # failed authentications per second per address
    auth_failure_burst: int = 20
    max_body_bytes: int = 1 << 20

    @classmethod
    def off(cls) -> Limits:
        return cls(key_rate=0, auth_failure_rate=0, max_body_bytes=1 << 62)


class TokenBuckets:
    """Token buckets by key, refilled at `rate` per second up to `burst` (pure: the
    caller passes the time)."""

    def __init__(self, rate: float, burst: int, max_keys: int = MAX_BUCKETS) -> None:
        self.rate, self.burst, self.max_keys = rate, float(burst), max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def _wait(self, tokens: float) -> int:
        """Whole seconds until one token is there again (Retry-After), at least 1."""
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def blocked(self, key: str, now: float) -> int | None:
        """Retry-After seconds if the bucket has no token, else None (nothing spent)."""
        if self.rate <= 0:
            return None
        tokens = self._tokens(key, now)
        return self._wait(tokens) if tokens < 1.0 else None

    def spend(self, key: str, now: float) -> int | None:
        """Take a token: None if there was one, else Retry-After seconds."""
        if self.rate <= 0:
            return None
        tokens = self._tokens(key, now)
        if tokens < 1.0:
            self._put(key, tokens, now)
            return self._wait(tokens)
        self._put(key, tokens - 1.0, now)
        return None

    def _put(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _bearer(scope: Scope) -> bytes | None:
    value = _header(scope, b"authorization")
    if value is None or value[:7].lower() != b"bearer ":
        return None
    return value[7:].strip() or None


async def _problem(
    scope: Scope, send: Send, status: int, title: str, detail: str, headers: dict[str, str]
) -> None:
    body = orjson.dumps(
        {
            "type": TYPE_BASE + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope.get("path", ""),
        }
    )
    raw = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class AbuseGuard:
    def __init__(
        self, app: ASGIApp, limits: Limits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app, self.limits, self.clock = app, limits, clock
        self.keys = TokenBuckets(limits.key_rate, limits.key_burst)
        self.failures = TokenBuckets(limits.auth_failure_rate, limits.auth_failure_burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(("/v1/", "/admin/")):
            await self.app(scope, receive, send)
            return
        refused = self._refusal(scope, path)
        if refused is not None:
            await _problem(scope, send, *refused)
            return
        address = _address(scope)
        status: list[int] = []

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, self._counted(receive), watched)
        if status and status[0] in (401, 403):
            self.failures.spend(address, self.clock())

    def _refusal(self, scope: Scope, path: str) -> tuple[int, str, str, dict[str, str]] | None:
        """(status, title, detail, headers) of a request refused before it is served."""
        now = self.clock()
        wait = self.failures.blocked(_address(scope), now)
        if wait is not None:
            return (
                429,
                "Too Many Requests",
                f"too many failed authentications from this address (at most "
                f"{self.limits.auth_failure_burst}, then one per "
                f"{_per(self.limits.auth_failure_rate)}); retry after {wait} s with a valid key",
                {"Retry-After": str(wait)},
            )
        token = _bearer(scope)
        if path.startswith("/v1/") and token is not None:
            wait = self.keys.spend(hashlib.sha256(token).hexdigest(), now)
            if wait is not None:
                return (
                    429,
                    "Too Many Requests",
                    f"this API key made more than {self.limits.key_rate:g} requests per second "
                    f"(bursts up to {self.limits.key_burst}); retry after {wait} s, and spread "
                    "requests out or cache the answers",
                    {"Retry-After": str(wait)},
                )
        length = _header(scope, b"content-length")
        limit = self.limits.max_body_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            return (413, "Content Too Large", _too_large(limit), {})
        return None

    def _counted(self, receive: Receive) -> Receive:
        """`receive`, refusing a body (however sent) once it passes the limit."""
        limit, seen = self.limits.max_body_bytes, 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, detail=_too_large(limit))
            return message

        return counted


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _per(rate: float) -> str:
    seconds = 1 / rate
    return f"{seconds:g} s" if seconds >= 1 else f"{rate:g} per second"


def _too_large(limit: int) -> str:
    return (
        f"the request body is over {limit} bytes, the most this API accepts; "
        "send less per request (split the change)"
    )
