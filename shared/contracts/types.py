"""Field types shared by the event contracts: strict ids, RFC 3339 timestamps, money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import regex
from pydantic import AfterValidator, BeforeValidator, Field, StrictStr

# RFC 3339 §5.6 date-time: the offset is mandatory ("Z" or ±hh:mm). "T" and "Z" may be
# lower case (RFC 3339 §5.6 note); fractional seconds beyond microseconds are truncated.
_RFC3339 = regex.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
# fullmatch: "$" alone would also accept a trailing newline ("199\n").
_MONEY = regex.compile(r"[0-9]+(?:\.[0-9]{1,2})?")


def _parse_timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(
            f"must be an RFC 3339 timestamp string such as 2026-11-11T10:00:03.120+08:00, "
            f"got {type(value).__name__}"
        )
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not an RFC 3339 timestamp (expected e.g. 2026-11-11T10:00:03.120+08:00)"
        )
    if match.group("offset") is None:
        raise ValueError(f"{value!r} has no UTC offset; add one such as +08:00 or Z (RFC 3339)")
    try:
        return to_datetime(value, len(match.group("offset")))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date and time: {exc}") from None


def to_datetime(value: str, offset_length: int) -> datetime:
    """The datetime of a string already shaped like an RFC 3339 timestamp with an offset
    of `offset_length` characters (1 for "Z", 6 for "+08:00"); ValueError if invalid."""
    text = value.upper()  # "t" and "z" are allowed; fromisoformat wants "T" and "Z"
    if "." in text:  # Python keeps microseconds: cut longer fractions before parsing
        head, _, tail = text.partition(".")
        digits = len(tail) - offset_length
        if digits > 6:
            text = head + "." + tail[:6] + tail[digits:]
    return datetime.fromisoformat(text)


def _parse_money(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(
            f'money must be a JSON string such as "199" or "59.90", got {type(value).__name__}'
        )
    if not _MONEY.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a money amount: digits with at most 2 decimals, no sign or "
            f'exponent (e.g. "199", "59.9", "199.00")'
        )
    return Decimal(value)


Timestamp = Annotated[datetime, BeforeValidator(_parse_timestamp)]
Money = Annotated[Decimal, BeforeValidator(_parse_money)]
Id = Annotated[StrictStr, Field(min_length=1, max_length=128)]


def _nonempty_shop(value: str) -> str:
    if not value.strip():
        raise ValueError("shop_id must not be blank")
    return value


ShopId = Annotated[Id, AfterValidator(_nonempty_shop)]
