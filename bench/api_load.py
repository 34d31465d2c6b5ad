"""Load generator for the API bench, run in its own process: N concurrent keep-alive
connections hammer one URL for a while; prints {"rps", "p50_ms", "p99_ms", "errors"} as
JSON.

Two clients. `httpx` (default; the API targets were set with it) costs ~3 ms of CPU per
request (~5 ms per 170 KB body), more than the server spends, so on a 2-core machine it
mostly measures itself. `raw`, a minimal HTTP/1.1 client on asyncio streams (~0.1 ms per
request), measures the server: it sends GET with keep-alive and reads bodies framed by
Content-Length (what uvicorn sends for these endpoints); anything else is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

Get = Callable[[], Awaitable[int]]  # one request; its status


class LoadError(RuntimeError):
    pass


def _request(url: str, headers: dict[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        raise LoadError(f"only http://host:port/… URLs are supported, not {url!r}")
    port = parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target or '/'} HTTP/1.1", f"Host: {parts.hostname}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return parts.hostname, port, ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _response(reader: asyncio.StreamReader) -> int:
    """Reads one response; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    length = None
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        raise LoadError(f"a response without Content-Length: {status_line}")
    await reader.readexactly(length)
    return int(status_line.split(" ", 2)[1])


@dataclass
class Run:
    until: float
    warmup_until: float
    latencies: list[float] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)

    async def measure(self, get: Get) -> None:
        """Requests back to back until the end; latencies after the warm-up second."""
        while (start := time.perf_counter()) < self.until:
            status = await get()
            took = time.perf_counter() - start
            if status != 200:
                self.errors.append(status)
            if start >= self.warmup_until:
                self.latencies.append(took)


async def _raw_worker(url: str, headers: dict[str, str], run: Run) -> None:
    host, port, request = _request(url, headers)
    reader, writer = await asyncio.open_connection(host, port)

    async def get() -> int:
        writer.write(request)
        return await _response(reader)

    try:
        await run.measure(get)
    finally:
        writer.close()


async def load(
    url: str, headers: dict[str, str], concurrency: int, seconds: float, client: str = "httpx"
) -> dict:
    begin = time.perf_counter()
    run = Run(until=begin + 1.0 + seconds, warmup_until=begin + 1.0)
    if client == "raw":
        await asyncio.gather(*(_raw_worker(url, headers, run) for _ in range(concurrency)))
    else:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as http:

            async def get() -> int:
                return (await http.get(url)).status_code

            await asyncio.gather(*(run.measure(get) for _ in range(concurrency)))
    latencies, errors = run.latencies, run.errors
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx")
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    result = load(args.url, headers, args.concurrency, args.seconds, args.client)
    print(json.dumps(asyncio.run(result)))


if __name__ == "__main__":
    main()
