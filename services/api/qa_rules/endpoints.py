"""GET/PUT /v1/qa-rules."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CurrentShop, SessionDep
from . import service
from .schemas import QaRulesIn, QaRulesOut

router = APIRouter(prefix="/qa-rules", tags=["qa"])


@router.get("", response_model=QaRulesOut, summary="The QA rules in effect")
async def get_rules(shop: CurrentShop, session: SessionDep) -> QaRulesOut:
    return await service.get_rules(session=session, shop_id=shop.shop_id)


@router.put(
    "",
    response_model=QaRulesOut,
    summary="Replace the shop's QA rule overrides",
    description="Rules and fields left out take the SPEC §6 defaults. Applies to sessions "
    "scored from now on; an operator rescore re-scores history.",
)
async def put_rules(shop: CurrentShop, session: SessionDep, body: QaRulesIn) -> QaRulesOut:
    return await service.put_rules(session=session, shop_id=shop.shop_id, body=body)
