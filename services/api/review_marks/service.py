"""Setting and clearing review marks. A mark never changes a number: nothing here touches
the rollups or the metrics cache, and scoring never reads the marks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..exceptions import NotFound
from . import repository
from .repository import Kind
from .schemas import (
    BadReviewMark,
    BadReviewMarkIn,
    LostInquiryKey,
    LostInquiryMark,
    LostInquiryMarkIn,
    MarkFields,
)


def _inquiry_key(shop_id: str, key: LostInquiryKey) -> dict[str, Any]:
    return {"shop_id": shop_id, "buyer_id": key.buyer_id, "agent_id": key.agent_id, "day": key.day}


async def _set(
    session: AsyncSession, kind: Kind, key: dict[str, Any], body: MarkFields, missing: str
) -> dict[str, Any]:
    """Set the mark at `key` (replacing any); NotFound(`missing`) when neither its target
    nor a mark exists. The row as shown (without shop_id)."""
    if not await repository.markable(session, kind, key=key):
        raise NotFound(missing)
    fields = body.model_dump(include=set(MarkFields.model_fields))
    row = await repository.upsert_mark(session, kind, key=key, fields=fields)
    return {k: v for k, v in row._asdict().items() if k != "shop_id"}


async def _unset(session: AsyncSession, kind: Kind, key: dict[str, Any], missing: str) -> None:
    if not await repository.delete_mark(session, kind, key=key):
        raise NotFound(missing)


def _inquiry(key: LostInquiryKey) -> str:
    return f"buyer {key.buyer_id!r}'s inquiry with agent {key.agent_id!r} on {key.day}"


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A mark's fields as the audit trail shows them."""
    return {f: row[f] for f in MarkFields.model_fields}


async def mark_lost_inquiry(
    *, session: AsyncSession, shop_id: str, body: LostInquiryMarkIn, actor: str | None = None
) -> LostInquiryMark:
    """Set the inquiry's mark. The inquiry must exist, whatever its status now (a late
    payment may have converted it since it was listed); a mark set can always change.

    With an `actor` (the console: `console:<user id>`) a mark that changes the cause, note
    or reviewed flag leaves one audit entry, in the same transaction; the same mark again
    leaves none."""
    key = _inquiry_key(shop_id, body)
    stored = (
        None if actor is None else await repository.fetch_mark(session, "lost_inquiry", key=key)
    )
    before = None if stored is None else _fields(stored._mapping)
    missing = f"{_inquiry(body)} does not exist in this shop (GET /v1/inquiries lists them)"
    row = await _set(session, "lost_inquiry", key, body, missing)
    after = _fields(row)
    if actor is not None and after != before:
        await record(
            session=session,
            actor=actor,
            action="lost_inquiry.marked",
            shop_id=shop_id,
            target=f"shop/{shop_id}/lost-inquiry/{body.agent_id}/{body.buyer_id}/{body.day}",
            before=before,
            after=after,
        )
    return LostInquiryMark(**row)


async def unmark_lost_inquiry(*, session: AsyncSession, shop_id: str, key: LostInquiryKey) -> None:
    missing = f"{_inquiry(key)} has no mark"
    await _unset(session, "lost_inquiry", _inquiry_key(shop_id, key), missing)


async def mark_bad_review(
    *, session: AsyncSession, shop_id: str, body: BadReviewMarkIn
) -> BadReviewMark:
    """Set the order's mark; it stays with the order whatever its review becomes."""
    key = {"shop_id": shop_id, "order_id": body.order_id}
    missing = f"order {body.order_id!r} does not exist in this shop"
    return BadReviewMark(**await _set(session, "bad_review", key, body, missing))


async def unmark_bad_review(*, session: AsyncSession, shop_id: str, order_id: str) -> None:
    missing = f"order {order_id!r} has no mark"
    await _unset(session, "bad_review", {"shop_id": shop_id, "order_id": order_id}, missing)
