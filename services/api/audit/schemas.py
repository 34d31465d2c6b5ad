"""An audit entry as /admin/audit shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Action = Literal[
    "shop.created",
    "shop.updated",
    "api_key.issued",
    "api_key.revoked",
    "rescore.queued",
    "dead_letters.replayed",
    "console_user.created",
    "lost_inquiry.marked",
]


class AuditEntryOut(BaseModel):
    id: int = Field(description="Increasing over the whole trail")
    at: datetime
    actor: str = Field(
        description="Who acted: `admin` for the ADMIN_TOKEN, `console:<user id>` for a "
        "console user (GET /admin/shops/{shop_id}/console-users names them)"
    )
    action: Action
    shop_id: str
    target: str = Field(description="What was acted on, e.g. `shop/tmall-001/api-key/key_…`")
    before: dict[str, Any] | None = Field(description="The target before; null: it was new")
    after: dict[str, Any] | None = Field(description="The target after (no secrets)")
