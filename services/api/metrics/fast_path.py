"""The hot path of every dashboard: a repeated GET /v1/metrics answered before routing.

A pure ASGI middleware. It answers only when the bearer key is in the live CallerCache
and the MetricsCache holds the body of this query at the shop's current rollup_version;
anything else (a miss, a parameter it does not know, a repeated one, a value it does not
read exactly as the route would) falls through to the route, which validates,
authenticates, computes and fills the caches. Both caches are filled only by the route,
so the fast path can only ever repeat what the route answered for an equal query: it
parses strictly and declines the rest. What it saves is FastAPI's routing, dependency
solving and parameter validation: most of a cached request's CPU (docs/api.md).
"""

from __future__ import annotations

import re
from datetime import date
from typing import get_args
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.rollup_reader import GroupBy

from ..auth.cache import CallerCache
from ..auth.keys import hash_key
from ..exports.negotiation import accepted_file
from .cache import MetricsCache, MetricsKey
from .endpoints import MAX_AGENT_IDS, MAX_GROUP_CHARS
from .periods import Granularity

PATH = "/v1/metrics"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_GRANULARITIES = frozenset(get_args(Granularity))
_GROUP_BYS = frozenset(get_args(GroupBy))
_SCALARS = frozenset({"from", "to", "granularity", "group_by", "group"})


def _date(value: str | None) -> date | None:
    if value is None or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def metrics_key(shop_id: str, query_string: bytes) -> MetricsKey | None:
    """The cache key the route builds for this query string, or None to decline. Decoded
    as Starlette does (latin-1, then percent-decoding, blank values kept)."""
    scalars: dict[str, str] = {}
    agent_ids: list[str] = []
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name == "agent_id":
            agent_ids.append(value)
        elif name in _SCALARS and name not in scalars:
            scalars[name] = value
        else:
            return None
    start, end = _date(scalars.get("from")), _date(scalars.get("to"))
    granularity = scalars.get("granularity", "day")
    group_by = scalars.get("group_by", "agent")
    group = scalars.get("group")
    if (
        start is None
        or end is None
        or granularity not in _GRANULARITIES
        or group_by not in _GROUP_BYS
        or len(agent_ids) > MAX_AGENT_IDS
        or (group is not None and len(group) > MAX_GROUP_CHARS)
    ):
        return None
    return MetricsKey.of(
        shop_id=shop_id,
        start=start,
        end=end,
        granularity=granularity,
        group_by=group_by,
        agent_ids=agent_ids,
        group=group,
    )


def _bearer_token(scope: Scope) -> str | None:
    """As HTTPBearer reads it: the first Authorization header, `Bearer <token>`; None
    too when an Accept header asks for a file (an export: the route's to answer)."""
    token: str | None = None
    seen = False
    for name, value in scope["headers"]:
        if name == b"authorization" and not seen:
            seen = True
            scheme, _, found = value.decode("latin-1").partition(" ")
            found = found.strip()
            token = found if scheme.lower() == "bearer" and found else None
        elif name == b"accept" and accepted_file(value.decode("latin-1")) is not None:
            return None
    return token


class MetricsFastPath:
    def __init__(self, app: ASGIApp, *, callers: CallerCache, metrics: MetricsCache) -> None:
        self.app = app
        self.callers = callers
        self.metrics = metrics

    def cached_body(self, scope: Scope) -> bytes | None:
        if scope["path"] != PATH or scope["method"] != "GET" or not self.callers.live:
            return None
        token = _bearer_token(scope)
        found = None if token is None else self.callers.peek(hash_key(token))
        if found is None:
            return None
        shop_id, version = found
        key = metrics_key(shop_id, scope["query_string"])
        return None if key is None else self.metrics.get(key, version)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.cached_body(scope) if scope["type"] == "http" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        self.metrics.fast_served += 1
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
