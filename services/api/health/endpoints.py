"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from ..deps import KafkaDep
from ..exceptions import ServiceUnavailable
from ..problems import problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: bool
    broker: bool


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_ok(request: Request) -> bool:
    try:
        async with request.app.state.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 5)
        return True
    except Exception:
        return False


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database and the broker are reachable",
    responses=problem_responses(503),
)
async def readyz(request: Request, kafka: KafkaDep) -> dict[str, object]:
    database, broker = await asyncio.gather(_database_ok(request), kafka.reachable())
    if not (database and broker):
        down = [name for name, ok in (("database", database), ("broker", broker)) if not ok]
        raise ServiceUnavailable(f"not ready: {' and '.join(down)} unreachable")
    return {"status": "ready", "database": database, "broker": broker}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    body = generate_latest(request.app.state.request_metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
