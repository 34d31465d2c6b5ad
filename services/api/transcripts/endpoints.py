"""GET /v1/buyers/{buyer_id}/transcript."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from ..deps import CurrentShop, SessionDep
from ..problems import problem_responses
from . import service
from .schemas import Transcript

router = APIRouter(tags=["transcripts"])


@router.get(
    "/buyers/{buyer_id}/transcript",
    response_model=Transcript,
    summary="A buyer's messages, sessions and orders over local days [from, to]",
    description=(
        "All messages (bot and system ones included, marked counted=false), the sessions "
        "with each question's response and response time, QA violations on their sessions "
        f"and messages. At most {service.MAX_DAYS} days and {service.MAX_MESSAGES} messages."
    ),
    responses=problem_responses(404),
)
async def get_transcript(
    buyer_id: Annotated[str, Path(max_length=128)],
    shop: CurrentShop,
    session: SessionDep,
    from_: Annotated[date, Query(alias="from")],
    to: date,
) -> Transcript:
    return await service.transcript(
        session=session, shop_id=shop.shop_id, buyer_id=buyer_id, start=from_, end=to
    )
