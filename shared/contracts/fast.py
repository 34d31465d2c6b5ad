"""The fast path of parse_event: one pydantic-core pass over the decoded JSON, no Python
callbacks, no model objects.

The pydantic models (events.py) are the contract and say why an event is wrong; building
them costs ~8 µs per event, mostly in Python validators (timestamps, money, the cross-field
rules). This checker enforces the same rules with Rust-side constraints and can only be
*stricter*: whatever it is unsure about (any failure, non-ASCII digits, a money string
Python's `$` would still accept, …) goes to the models, which decide and explain. So an
event is accepted here only if the models accept it with the same values
(tests/contracts/test_parse_differential.py holds both to that).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from shared.contracts.events import ORDER_TYPES
from shared.contracts.types import to_datetime

# ASCII digits only (the models' `\d` also takes other scripts' digits, then fail on them).
_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_MONEY = r"^[0-9]+(?:\.[0-9]{1,2})?$"
# Not blank: some character that neither Unicode White_Space nor str.isspace() knows
# (isspace() adds only U+001C–U+001F to White_Space).
_NOT_BLANK = r"[^\s\x1c-\x1f]"

_ID = cs.str_schema(strict=True, min_length=1, max_length=128)
_SHOP_ID = cs.str_schema(strict=True, min_length=1, max_length=128, pattern=_NOT_BLANK)
_TIME = cs.str_schema(strict=True, pattern=_TIMESTAMP)
_AMOUNT = cs.str_schema(strict=True, pattern=_MONEY)


def _fields(schemas: dict[str, tuple[cs.CoreSchema, bool]]) -> cs.TypedDictSchema:
    return cs.typed_dict_schema(
        {name: cs.typed_dict_field(s, required=req) for name, (s, req) in schemas.items()},
        extra_behavior="ignore",
    )


_CHAT = _fields(
    {
        "event_id": (_ID, True),
        "shop_id": (_SHOP_ID, True),
        "buyer_id": (_ID, True),
        "agent_id": (cs.nullable_schema(_ID), True),
        "sender": (cs.literal_schema(["buyer", "agent", "bot", "system"]), True),
        "sent_at": (_TIME, True),
        "msg_type": (
            cs.literal_schema(["text", "emoji", "image", "item_link", "order_card", "other"]),
            False,
        ),
        "text": (cs.str_schema(strict=True, max_length=10_000), True),
        "message_id": (cs.nullable_schema(cs.str_schema(strict=True)), False),
    }
)
_ITEM = _fields(
    {
        "item_id": (_ID, True),
        "quantity": (cs.int_schema(strict=True, ge=1), True),
        "price": (_AMOUNT, True),
    }
)
_ORDER = _fields(
    {
        "event_id": (_ID, True),
        "shop_id": (_SHOP_ID, True),
        "order_id": (_ID, True),
        "buyer_id": (_ID, True),
        "occurred_at": (_TIME, True),
        "amount": (cs.nullable_schema(_AMOUNT), False),
        "items": (cs.nullable_schema(cs.list_schema(_ITEM)), False),
    }
)
_CHECK = SchemaValidator(
    cs.tagged_union_schema(
        {"chat.message": _CHAT} | dict.fromkeys(sorted(ORDER_TYPES), _ORDER),
        discriminator="type",
    )
)


def event_time(body: dict[str, Any]) -> datetime | None:
    """The event's time if `body` certainly passes the contract; None when unsure."""
    try:
        _CHECK.validate_python(body)
    except ValidationError:
        return None
    kind = body["type"]
    if kind == "chat.message":
        if body["text"] == "" and body.get("msg_type", "text") == "text":
            return None
        at: str = body["sent_at"]
    else:
        if body.get("amount") is None and kind != "order.cancelled":
            return None
        at = body["occurred_at"]
    try:
        return to_datetime(at, 1 if at[-1] in "Zz" else 6)
    except ValueError:
        return None
