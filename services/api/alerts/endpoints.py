"""/v1/alert-rules: create, list, read (with current state), change, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ..deps import CurrentShop, SessionDep
from ..pagination import Page, PageDep
from ..problems import problem_responses
from . import service
from .schemas import AlertRuleDetail, AlertRuleIn, AlertRuleOut, AlertRulePatch

router = APIRouter(prefix="/alert-rules", tags=["alerts"])

RuleIdPath = Annotated[str, Path(max_length=64)]

_ABOUT = (
    "Rules are judged by the scoring pipeline after every batch, in the batch's transaction: "
    "`alert.breached` when a value enters breach, `alert.resolved` when it leaves it "
    "(edge-triggered), delivered to the shop's webhook subscriptions."
)


@router.post(
    "",
    status_code=201,
    response_model=AlertRuleOut,
    summary="Create an alert rule",
    description=_ABOUT,
)
async def create_rule(
    body: AlertRuleIn, shop: CurrentShop, session: SessionDep, response: Response
) -> AlertRuleOut:
    created = await service.create_rule(session=session, shop_id=shop.shop_id, body=body)
    response.headers["Location"] = f"/v1/alert-rules/{created.rule_id}"
    return created


@router.get("", response_model=Page[AlertRuleOut], summary="The shop's alert rules")
async def list_rules(shop: CurrentShop, session: SessionDep, page: PageDep) -> Page[AlertRuleOut]:
    return await service.list_rules(
        session=session, shop_id=shop.shop_id, cursor=page.cursor, limit=page.limit
    )


@router.get(
    "/{rule_id}",
    response_model=AlertRuleDetail,
    summary="One alert rule with its current state per scope",
    responses=problem_responses(404),
)
async def get_rule(rule_id: RuleIdPath, shop: CurrentShop, session: SessionDep) -> AlertRuleDetail:
    return await service.get_rule(session=session, shop_id=shop.shop_id, rule_id=rule_id)


@router.patch(
    "/{rule_id}",
    response_model=AlertRuleDetail,
    summary="Change an alert rule",
    description="The stored state is kept: a rule that no longer holds resolves at the "
    "next evaluation.",
    responses=problem_responses(404),
)
async def update_rule(
    rule_id: RuleIdPath, patch: AlertRulePatch, shop: CurrentShop, session: SessionDep
) -> AlertRuleDetail:
    return await service.update_rule(
        session=session, shop_id=shop.shop_id, rule_id=rule_id, patch=patch
    )


@router.delete(
    "/{rule_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an alert rule (and its state)",
    responses=problem_responses(404),
)
async def delete_rule(rule_id: RuleIdPath, shop: CurrentShop, session: SessionDep) -> Response:
    await service.delete_rule(session=session, shop_id=shop.shop_id, rule_id=rule_id)
    return Response(status_code=204)
