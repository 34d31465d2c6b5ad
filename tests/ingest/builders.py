"""Valid SPEC §2 events as dicts and bytes, for the ingest tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from tests.fixtures.clock import NOW

SHANGHAI = timezone(timedelta(hours=8))
_ids = itertools.count()


def stamp(at: datetime | None = None) -> str:
    """RFC 3339 with the +08:00 offset; default an hour before the tests' pinned now."""
    at = at or NOW - timedelta(hours=1)
    return at.astimezone(SHANGHAI).isoformat(timespec="milliseconds")


def chat(shop_id: str = "shop-a", event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id or f"c-{next(_ids)}",
        "type": "chat.message",
        "shop_id": shop_id,
        "buyer_id": "buyer-1",
        "agent_id": "agent-1",
        "sender": "buyer",
        "sent_at": stamp(),
        "msg_type": "text",
        "text": "亲，在吗？这件有货吗",
    }
    event.update(fields)
    return event


def order(shop_id: str = "shop-a", event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id or f"o-{next(_ids)}",
        "type": "order.paid",
        "shop_id": shop_id,
        "order_id": f"order-{next(_ids)}",
        "buyer_id": "buyer-1",
        "occurred_at": stamp(),
        "amount": "199.00",
    }
    event.update(fields)
    return event


def review(shop_id: str = "shop-a", event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A SPEC §11 review.posted."""
    event: dict[str, Any] = {
        "event_id": event_id or f"r-{next(_ids)}",
        "type": "review.posted",
        "shop_id": shop_id,
        "order_id": f"order-{next(_ids)}",
        "buyer_id": "buyer-1",
        "posted_at": stamp(),
        "rating": "good",
        "text": "小美服务很好",
        "dsr": {"item": 5, "service": 4},
    }
    event.update(fields)
    return event


def encode(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)
