"""/admin/dead-letters: list with filters, inspect the original bytes, replay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from ..deps import ActorDep, KafkaDep, SessionDep
from ..pagination import Page, PageDep
from ..problems import problem_responses
from . import service
from .schemas import DeadLetterDetail, DeadLetterOut, ReplayOut, ReplayRequest

router = APIRouter(prefix="/dead-letters", tags=["admin: dead letters"])


@router.get("", response_model=Page[DeadLetterOut], summary="Dead letters, newest first")
async def list_dead_letters(
    session: SessionDep,
    page: PageDep,
    shop_id: Annotated[str | None, Query(max_length=128)] = None,
    reason: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[datetime | None, Query(alias="from", description="created_at ≥")] = None,
    to: Annotated[datetime | None, Query(description="created_at <")] = None,
    replayed: bool | None = None,
) -> Page[DeadLetterOut]:
    return await service.list_dead_letters(
        session=session,
        shop_id=shop_id,
        reason=reason,
        start=from_,
        end=to,
        replayed=replayed,
        cursor=page.cursor,
        limit=page.limit,
    )


@router.get(
    "/{letter_id}",
    response_model=DeadLetterDetail,
    summary="One dead letter with its original bytes",
    responses=problem_responses(404),
)
async def get_dead_letter(
    letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)], session: SessionDep
) -> DeadLetterDetail:
    return await service.get_dead_letter(session=session, letter_id=letter_id)


@router.post(
    "/replay",
    response_model=ReplayOut,
    summary="Re-produce a shop's dead letters to their original topic",
    description="Only letters not replayed yet; ingest then treats them as new events. "
    "503 when the broker is unreachable (nothing is marked).",
    responses=problem_responses(503),
)
async def replay(
    request: ReplayRequest, session: SessionDep, kafka: KafkaDep, actor: ActorDep
) -> ReplayOut:
    producer = await kafka.producer()
    return await service.replay(session=session, producer=producer, request=request, actor=actor)
