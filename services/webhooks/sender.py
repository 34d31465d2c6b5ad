"""One HTTP attempt: the body, its Standard Webhooks signature, the SSRF re-check, the POST.

The connection goes to the address the guard just checked (the URL's host is kept in the
Host header and as the TLS server name), so DNS cannot hand the socket an internal address
between the check and the connect.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from .signing import signature_headers
from .ssrf import TargetError, check_target


@dataclass(frozen=True, slots=True)
class Result:
    status_code: int | None
    error: str | None
    duration_ms: int
    kind: str  # success | http_error | timeout | connection_error | refused

    @property
    def ok(self) -> bool:
        return self.kind == "success"


def event_body(
    *, event_id: str, type: str, shop_id: str, created_at: datetime, data: dict[str, Any]
) -> bytes:
    """The JSON POSTed: `{id, type, shop_id, created_at, data}` (SPEC §8)."""
    stamp = created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    payload = {"id": event_id, "type": type, "shop_id": shop_id, "created_at": stamp, "data": data}
    return orjson.dumps(payload)


async def _pinned_request(
    url: str, *, allow_private: bool
) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    target, addresses = await check_target(url, allow_private=allow_private)
    original = httpx.URL(url)
    ip = str(addresses[0])
    if ip == target.host:
        return original, {}, {}
    pinned = original.copy_with(host=ip)
    host_header = original.netloc.decode("ascii")
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return pinned, {"Host": host_header}, extensions


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    body: bytes,
    msg_id: str,
    secrets: tuple[str, ...],
    timeout_seconds: float,
    allow_private: bool,
) -> Result:
    """POST once; never raises for the receiver's or the network's faults."""
    started = time.perf_counter()

    def done(kind: str, code: int | None, error: str | None) -> Result:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Result(status_code=code, error=error, duration_ms=elapsed, kind=kind)

    try:
        async with asyncio.timeout(timeout_seconds):
            pinned, extra, extensions = await _pinned_request(url, allow_private=allow_private)
            headers = {
                "content-type": "application/json",
                "user-agent": "kefu-scorecard-webhooks/1",
                **extra,
                **signature_headers(secrets, msg_id, int(time.time()), body),
            }
            request = client.build_request(
                "POST", pinned, content=body, headers=headers, extensions=extensions
            )
            # Only the status matters; the receiver's body is never read (it may be huge).
            response = await client.send(request, stream=True)
            await response.aclose()
    except TargetError as exc:
        return done("refused", None, f"refused target: {exc}")
    except (TimeoutError, httpx.TimeoutException):
        return done("timeout", None, f"timeout: no response within {timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return done("connection_error", None, f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return done("success", code, None)
    return done("http_error", code, f"HTTP {code} {response.reason_phrase}".strip())
