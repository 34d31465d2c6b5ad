"""Load generator for the API bench, run in its own process: N concurrent keep-alive
clients hammer one URL for a while; prints {"rps", "p50_ms", "p99_ms", "errors"} as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import httpx


async def _worker(
    client: httpx.AsyncClient,
    url: str,
    until: float,
    warmup_until: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    while (start := time.perf_counter()) < until:
        response = await client.get(url)
        took = time.perf_counter() - start
        if response.status_code != 200:
            errors.append(response.status_code)
        if start >= warmup_until:
            latencies.append(took)


async def load(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors: list[int] = []
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        begin = time.perf_counter()
        warmup_until, until = begin + 1.0, begin + 1.0 + seconds
        await asyncio.gather(
            *(
                _worker(client, url, until, warmup_until, latencies, errors)
                for _ in range(concurrency)
            )
        )
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
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    print(json.dumps(asyncio.run(load(args.url, headers, args.concurrency, args.seconds))))


if __name__ == "__main__":
    main()
