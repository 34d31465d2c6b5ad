"""A small, independent checker of SPEC §2 for the simulator's tests.

Deliberately not the project's pydantic contracts: the simulator is held to the SPEC text.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

CHAT_TOPIC = "cs.chat.v1"
ORDER_TOPIC = "cs.order.v1"
SENDERS = {"buyer", "agent", "bot", "system"}
MSG_TYPES = {"text", "emoji", "image", "item_link", "order_card", "other"}
ORDER_TYPES = {"order.created", "order.paid", "order.cancelled", "order.refunded"}
MONEY_RE = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
MAX_BYTES = 64 * 1024


def parse_ts(value: Any) -> datetime | None:
    """An RFC 3339 timestamp with an offset, else None."""
    if not isinstance(value, str) or not TS_RE.match(value):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None


def _id(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 128


def _money(value: Any) -> bool:
    return isinstance(value, str) and MONEY_RE.match(value) is not None


def check(raw: bytes, key: bytes, topic: str, shops: set[str]) -> list[str]:
    """Problems of one Kafka message against SPEC §2 (empty list: valid)."""
    errors: list[str] = []
    if len(raw) > MAX_BYTES:
        errors.append("over 64 KiB")
    try:
        ev = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return [*errors, "not JSON"]
    if not isinstance(ev, dict):
        return [*errors, "not an object"]
    if not _id(ev.get("event_id")):
        errors.append("event_id")
    shop = ev.get("shop_id")
    if not isinstance(shop, str) or shop not in shops:
        errors.append("unknown shop")
    elif key != shop.encode():
        errors.append("key is not the shop_id")
    etype = ev.get("type")
    if etype == "chat.message":
        if topic != CHAT_TOPIC:
            errors.append("chat on the wrong topic")
        if not _id(ev.get("buyer_id")):
            errors.append("buyer_id")
        if "agent_id" not in ev or not (ev["agent_id"] is None or _id(ev["agent_id"])):
            errors.append("agent_id")
        if ev.get("sender") not in SENDERS:
            errors.append("sender")
        if parse_ts(ev.get("sent_at")) is None:
            errors.append("sent_at")
        msg_type = ev.get("msg_type", "text")
        if msg_type not in MSG_TYPES:
            errors.append("msg_type")
        text = ev.get("text")
        if not isinstance(text, str) or len(text) > 10_000:
            errors.append("text")
        elif text == "" and msg_type == "text":
            errors.append("empty text")
        if "message_id" in ev and not isinstance(ev["message_id"], str):
            errors.append("message_id")
    elif etype in ORDER_TYPES:
        if topic != ORDER_TOPIC:
            errors.append("order on the wrong topic")
        if not _id(ev.get("order_id")):
            errors.append("order_id")
        if not _id(ev.get("buyer_id")):
            errors.append("buyer_id")
        if parse_ts(ev.get("occurred_at")) is None:
            errors.append("occurred_at")
        if "amount" in ev:
            if not _money(ev["amount"]):
                errors.append("amount")
        elif etype != "order.cancelled":
            errors.append("amount missing")
        items = ev.get("items")
        if items is not None:
            if not isinstance(items, list):
                errors.append("items")
            else:
                for it in items:
                    if not (
                        isinstance(it, dict)
                        and _id(it.get("item_id"))
                        and isinstance(it.get("quantity"), int)
                        and it["quantity"] > 0
                        and _money(it.get("price"))
                    ):
                        errors.append("item")
    elif etype == "review.posted":
        if topic != ORDER_TOPIC:
            errors.append("review on the wrong topic")
        for name in ("order_id", "buyer_id"):
            if not _id(ev.get(name)):
                errors.append(name)
        if parse_ts(ev.get("posted_at")) is None:
            errors.append("posted_at")
        if ev.get("rating") not in ("good", "neutral", "bad"):
            errors.append("rating")
        if not isinstance(ev.get("text"), str) or len(ev["text"]) > 2000:
            errors.append("text")
        dsr = ev.get("dsr")
        if dsr is not None and not (
            isinstance(dsr, dict)
            and all(
                type(dsr[k]) is int and 1 <= dsr[k] <= 5
                for k in ("item", "service", "logistics")
                if k in dsr
            )
        ):
            errors.append("dsr")
    else:
        errors.append("unknown type")
    return errors


def timestamp_of(ev: dict[str, Any]) -> datetime:
    dt = parse_ts(ev.get("sent_at") or ev.get("occurred_at") or ev.get("posted_at"))
    assert dt is not None
    return dt
