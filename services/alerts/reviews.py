"""`review.bad` and `review.bad.withdrawn` (SPEC §11) from the orders a batch re-derived.

Both have deterministic ids (domain/review_notices.py), so the outbox stores each once
however often the order is re-derived. A withdrawal is due only for a bad review that was
notified: its review.bad id is looked up among the shop's stored webhook events.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.review_notices import ReviewNotice, bad_event_id, withdrawn_event_id
from services.webhooks.outbox import OutboxEvent

_NOTIFIED = text(
    "SELECT event_id FROM webhook_events WHERE shop_id = :shop_id"
    " AND event_id = ANY(CAST(:ids AS text[]))"
)


async def review_outbox_events(
    session: AsyncSession | AsyncConnection, shop_id: str, notices: Iterable[ReviewNotice]
) -> list[OutboxEvent]:
    events: list[OutboxEvent] = []
    candidates: list[tuple[ReviewNotice, str, str]] = []  # (notice, bad review, its id)
    for n in notices:
        if n.is_bad:
            events.append(
                OutboxEvent(
                    "review.bad", n.data(), bad_event_id(shop_id, n.order_id, n.review_event_id)
                )
            )
        else:
            candidates.extend(
                (n, bad, bad_event_id(shop_id, n.order_id, bad)) for bad in n.earlier_bad
            )
    if not candidates:
        return events
    rows = await session.execute(
        _NOTIFIED, {"shop_id": shop_id, "ids": sorted({c[2] for c in candidates})}
    )
    notified = {row[0] for row in rows}
    for n, bad, bad_id in candidates:
        if bad_id in notified:
            event_id = withdrawn_event_id(shop_id, n.order_id, bad)
            events.append(OutboxEvent("review.bad.withdrawn", n.withdrawal_data(bad), event_id))
    return events
