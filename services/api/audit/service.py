"""Recording admin actions in the caller's unit of work, and reading the trail.

Every admin endpoint that changes something calls `record` in its own transaction: the
entry commits with the change, or neither does. Secrets (API keys) are never recorded.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ..pagination import Page, decode_cursor, page_of
from . import repository
from .schemas import Action, AuditEntryOut


def snapshot(
    model: BaseModel, *, include: set[str] | None = None, exclude: set[str] | None = None
) -> dict[str, Any]:
    """A response model as JSON-able data for before/after."""
    return model.model_dump(mode="json", include=include, exclude=exclude)


async def record(
    *,
    session: AsyncSession,
    actor: str,
    action: Action,
    shop_id: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await repository.insert_entry(
        session,
        shop_id=shop_id,
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
    )


async def list_entries(
    *,
    session: AsyncSession,
    shop_id: str | None,
    action: str | None,
    cursor: str | None,
    limit: int,
) -> Page[AuditEntryOut]:
    before_id = int(decode_cursor(cursor, int)[0]) if cursor else None
    rows = await repository.fetch_entries(
        session, shop_id=shop_id, action=action, before_id=before_id, limit=limit + 1
    )
    page, next_cursor = page_of(rows, limit, lambda r: [r.audit_id])
    return Page(
        items=[
            AuditEntryOut(
                id=r.audit_id,
                at=r.at,
                actor=r.actor,
                action=r.action,
                shop_id=r.shop_id,
                target=r.target,
                before=r.before,
                after=r.after,
            )
            for r in page
        ],
        next_cursor=next_cursor,
    )
