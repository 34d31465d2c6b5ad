"""/admin/audit: read the audit trail. There is no route to change or delete an entry,
and the table refuses UPDATE and DELETE (migration 0011)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import SessionDep
from ..pagination import Page, PageDep
from . import service
from .schemas import Action, AuditEntryOut

router = APIRouter(prefix="/audit", tags=["admin: audit"])


@router.get(
    "",
    response_model=Page[AuditEntryOut],
    summary="Admin actions that changed something, newest first",
)
async def list_audit(
    session: SessionDep,
    page: PageDep,
    shop_id: Annotated[str | None, Query(max_length=128)] = None,
    action: Action | None = None,
) -> Page[AuditEntryOut]:
    return await service.list_entries(
        session=session, shop_id=shop_id, action=action, cursor=page.cursor, limit=page.limit
    )
