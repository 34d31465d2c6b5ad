"""GET /v1/violations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from domain.qa_rules import RULES

from ..deps import CurrentShop, SessionDep
from ..pagination import Page, PageDep
from . import service
from .schemas import ViolationOut

router = APIRouter(tags=["qa"])

Rule = Literal[RULES]  # type: ignore[valid-type]


@router.get(
    "/violations",
    response_model=Page[ViolationOut],
    summary="QA violations, newest session day first",
)
async def list_violations(
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    rule: Rule | None = None,
    agent_id: Annotated[str | None, Query(max_length=128)] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> Page[ViolationOut]:
    return await service.list_violations(
        session=session,
        shop_id=shop.shop_id,
        rule=rule,
        agent_id=agent_id,
        start=from_,
        end=to,
        cursor=page.cursor,
        limit=page.limit,
    )
