"""/v1/webhooks: subscriptions (create, list, read, change, rotate secret, delete) and
deliveries (list, read with attempts, redeliver)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ..deps import CurrentShop, SessionDep, SettingsDep
from ..pagination import Page, PageDep
from ..problems import problem_responses
from . import service
from .schemas import (
    DeliveryDetail,
    DeliveryOut,
    EventType,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionWithSecret,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

SubIdPath = Annotated[str, Path(max_length=64)]
DeliveryIdPath = Annotated[str, Path(max_length=64)]

_SIGNING = (
    "Each event is POSTed as JSON `{id, type, shop_id, created_at, data}` with Standard "
    "Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`): verify them "
    "with the secret returned here, e.g. with the `standardwebhooks` package. Non-2xx or no "
    "answer within 10 s is retried with exponential backoff for up to 24 h."
)


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionWithSecret,
    summary="Subscribe a URL to event types (the secret is shown only here)",
    description=_SIGNING,
)
async def create_subscription(
    body: SubscriptionIn,
    shop: CurrentShop,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SubscriptionWithSecret:
    created = await service.create(
        session=session,
        shop_id=shop.shop_id,
        body=body,
        allow_private=settings.webhook_allow_private_targets,
    )
    response.headers["Location"] = f"/v1/webhooks/subscriptions/{created.subscription_id}"
    return created


@router.get(
    "/subscriptions", response_model=Page[SubscriptionOut], summary="The shop's subscriptions"
)
async def list_subscriptions(
    shop: CurrentShop, session: SessionDep, page: PageDep
) -> Page[SubscriptionOut]:
    return await service.list_(
        session=session, shop_id=shop.shop_id, cursor=page.cursor, limit=page.limit
    )


@router.get(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionOut,
    summary="One subscription (without its secret)",
    responses=problem_responses(404),
)
async def get_subscription(
    subscription_id: SubIdPath, shop: CurrentShop, session: SessionDep
) -> SubscriptionOut:
    return await service.get(session=session, shop_id=shop.shop_id, subscription_id=subscription_id)


@router.patch(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionOut,
    summary="Change a subscription's URL, event types, description or enabled flag",
    responses=problem_responses(404),
)
async def update_subscription(
    subscription_id: SubIdPath,
    body: SubscriptionPatch,
    shop: CurrentShop,
    session: SessionDep,
    settings: SettingsDep,
) -> SubscriptionOut:
    return await service.patch(
        session=session,
        shop_id=shop.shop_id,
        subscription_id=subscription_id,
        body=body,
        allow_private=settings.webhook_allow_private_targets,
    )


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    response_model=SubscriptionWithSecret,
    summary="Replace the secret (shown only here); the old one keeps signing for 24 h",
    description="During the 24 h overlap every message carries two signatures "
    "(space-separated in `webhook-signature`), so receivers verifying with either secret "
    "accept it.",
    responses=problem_responses(404),
)
async def rotate_secret(
    subscription_id: SubIdPath, shop: CurrentShop, session: SessionDep
) -> SubscriptionWithSecret:
    return await service.rotate(
        session=session, shop_id=shop.shop_id, subscription_id=subscription_id
    )


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a subscription (its pending deliveries end failed)",
    responses=problem_responses(404),
)
async def delete_subscription(
    subscription_id: SubIdPath, shop: CurrentShop, session: SessionDep
) -> Response:
    await service.delete(session=session, shop_id=shop.shop_id, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get(
    "/deliveries",
    response_model=Page[DeliveryOut],
    summary="Deliveries, newest first",
    description="One delivery per (event × subscription). `delivering`: an attempt is in flight.",
)
async def list_deliveries(
    shop: CurrentShop,
    session: SessionDep,
    page: PageDep,
    subscription_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[
        str | None,
        Query(pattern="^(pending|delivered|failed)$", description="pending includes delivering"),
    ] = None,
    event_type: EventType | None = None,
) -> Page[DeliveryOut]:
    return await service.list_deliveries(
        session=session,
        shop_id=shop.shop_id,
        subscription_id=subscription_id,
        status=status,
        event_type=event_type,
        cursor=page.cursor,
        limit=page.limit,
    )


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    summary="One delivery with its payload and every attempt (status codes, errors)",
    responses=problem_responses(404),
)
async def get_delivery(
    delivery_id: DeliveryIdPath, shop: CurrentShop, session: SessionDep
) -> DeliveryDetail:
    return await service.get_delivery(
        session=session, shop_id=shop.shop_id, delivery_id=delivery_id
    )


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryDetail,
    summary="Send a delivery again now (same webhook-id; a fresh 24 h retry window)",
    responses=problem_responses(404, 409),
)
async def redeliver(
    delivery_id: DeliveryIdPath, shop: CurrentShop, session: SessionDep
) -> DeliveryDetail:
    return await service.redeliver(session=session, shop_id=shop.shop_id, delivery_id=delivery_id)
