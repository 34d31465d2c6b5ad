"""GET /admin/pipeline: lag, throughput, dead letters."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import KafkaDep, SessionDep
from . import service
from .schemas import PipelineHealth

router = APIRouter(tags=["admin: pipeline"])


@router.get(
    "/pipeline",
    response_model=PipelineHealth,
    summary="Consumer lag per group, events/s ingested, dead letters by reason, raw purges",
    description=(
        "Lag: scoring's offsets (stored in Postgres with its results) against the end "
        "offsets of cs.events.v1; ingest's (group kefu-ingest, committed in Kafka) against "
        "cs.chat.v1 and cs.order.v1. A broker that cannot be reached is reported in "
        "broker_error, with the database figures still given. raw_purges: the latest "
        "purge of raw events past each shop's retention."
    ),
)
async def pipeline_health(session: SessionDep, kafka: KafkaDep) -> PipelineHealth:
    return await service.pipeline_health(session=session, kafka=kafka)
