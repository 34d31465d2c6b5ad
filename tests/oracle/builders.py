"""Tiny builders of SPEC §2 event dicts for hand-written oracle cases."""

from __future__ import annotations

import itertools
from typing import Any

SHOP = "shop-x"
_ids = itertools.count()


def ts(hms: str, day: int = 11, month: int = 11) -> str:
    """A Shanghai-offset timestamp in 2026."""
    return f"2026-{month:02d}-{day:02d}T{hms}+08:00"


def chat(
    t: str, sender: str, buyer: str, agent: str | None, text: str = "x", msg_type: str = "text"
) -> dict[str, Any]:
    return {
        "event_id": f"e{next(_ids):06d}",
        "type": "chat.message",
        "shop_id": SHOP,
        "buyer_id": buyer,
        "agent_id": agent,
        "sender": sender,
        "sent_at": t,
        "msg_type": msg_type,
        "text": text,
    }


def order(kind: str, oid: str, buyer: str, t: str, amount: str | None = None) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "event_id": f"e{next(_ids):06d}",
        "type": f"order.{kind}",
        "shop_id": SHOP,
        "order_id": oid,
        "buyer_id": buyer,
        "occurred_at": t,
    }
    if amount is not None:
        ev["amount"] = amount
    return ev


def with_id(event_id: str, ev: dict[str, Any]) -> dict[str, Any]:
    """The same event under a chosen event_id (to control ties broken by event_id)."""
    return {**ev, "event_id": event_id}
