"""/v1/review-marks: the manager's marks on lost inquiries and bad reviews (SPEC §11)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from domain.review_work import CAUSES

from ..deps import CurrentShop, SessionDep
from ..performance.params import NO_NUL
from ..problems import problem_responses
from . import service
from .schemas import (
    BadReviewMark,
    BadReviewMarkIn,
    LostInquiryKey,
    LostInquiryMark,
    LostInquiryMarkIn,
)

router = APIRouter(prefix="/review-marks", tags=["review work"])

IdQuery = Annotated[str, Query(min_length=1, max_length=128, pattern=NO_NUL)]
_CAUSES = ", ".join(CAUSES)


@router.put(
    "/lost-inquiries",
    response_model=LostInquiryMark,
    summary="Mark a lost inquiry: cause, note, reviewed",
    description=f"Sets (or replaces) the mark of the inquiry (agent, buyer, local day), as "
    f"/v1/inquiries lists it. Causes: {_CAUSES}. A mark never changes a number and "
    "survives rescores. 404 when the shop has no such inquiry (and no mark on it).",
    responses=problem_responses(404, 422),
)
async def mark_lost_inquiry(
    shop: CurrentShop, session: SessionDep, body: LostInquiryMarkIn
) -> LostInquiryMark:
    return await service.mark_lost_inquiry(session=session, shop_id=shop.shop_id, body=body)


@router.delete(
    "/lost-inquiries",
    status_code=204,
    summary="Remove a lost inquiry's mark",
    responses=problem_responses(404),
)
async def unmark_lost_inquiry(
    shop: CurrentShop,
    session: SessionDep,
    agent_id: IdQuery,
    buyer_id: IdQuery,
    day: date,
) -> Response:
    key = LostInquiryKey(agent_id=agent_id, buyer_id=buyer_id, day=day)
    await service.unmark_lost_inquiry(session=session, shop_id=shop.shop_id, key=key)
    return Response(status_code=204)


@router.put(
    "/bad-reviews",
    response_model=BadReviewMark,
    summary="Mark a bad review (by its order): cause, note, reviewed",
    description=f"Sets (or replaces) the order's mark. Causes: {_CAUSES}. The mark stays "
    "with the order when its review changes (改评). 404 when the shop has no such order "
    "(and no mark on it).",
    responses=problem_responses(404, 422),
)
async def mark_bad_review(
    shop: CurrentShop, session: SessionDep, body: BadReviewMarkIn
) -> BadReviewMark:
    return await service.mark_bad_review(session=session, shop_id=shop.shop_id, body=body)


@router.delete(
    "/bad-reviews",
    status_code=204,
    summary="Remove an order's bad-review mark",
    responses=problem_responses(404),
)
async def unmark_bad_review(shop: CurrentShop, session: SessionDep, order_id: IdQuery) -> Response:
    await service.unmark_bad_review(session=session, shop_id=shop.shop_id, order_id=order_id)
    return Response(status_code=204)
