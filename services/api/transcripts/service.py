"""Assembling a buyer's transcript over local days [from, to] in the shop's time zone."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.days import zone

from ..exceptions import NotFound
from ..metrics.periods import check_range
from ..shop_settings.service import get_settings
from . import repository
from .schemas import (
    Transcript,
    TranscriptMessage,
    TranscriptOrderEvent,
    TranscriptResponse,
    TranscriptSession,
    ViolationMark,
)

MAX_DAYS = 92
MAX_MESSAGES = 5000


def _bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    check_range(start, end, MAX_DAYS)
    tz = zone(timezone)
    return datetime.combine(start, time(), tz), datetime.combine(
        end + timedelta(days=1), time(), tz
    )


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _session_view(row: Any, marks: list[ViolationMark]) -> TranscriptSession:
    responses = [
        TranscriptResponse(
            question_event_id=r.get("question"),
            response_event_id=r.get("response"),
            response_seconds=None if r.get("response_us") is None else r["response_us"] / 1e6,
        )
        for r in row.responses or []
    ]
    return TranscriptSession(**{**row._asdict(), "responses": responses, "violations": marks})


async def transcript(
    *, session: AsyncSession, shop_id: str, buyer_id: str, start: date, end: date
) -> Transcript:
    timezone = (await get_settings(session=session, shop_id=shop_id)).timezone
    lo, hi = _bounds(start, end, timezone)
    if not await repository.buyer_known(session, shop_id=shop_id, buyer_id=buyer_id):
        raise NotFound(f"buyer {buyer_id!r} has no messages or orders in this shop")
    keys = {"shop_id": shop_id, "buyer_id": buyer_id}
    messages = await repository.fetch_messages(
        session, **keys, start=lo, end=hi, limit=MAX_MESSAGES + 1
    )
    sessions = await repository.fetch_sessions(session, **keys, start=lo, end=hi)
    marks: dict[tuple[str, datetime], list[ViolationMark]] = defaultdict(list)
    by_message: dict[str, list[str]] = defaultdict(list)
    if sessions:
        for v in await repository.fetch_violations(
            session, **keys, first=sessions[0].started_at, last=sessions[-1].started_at
        ):
            mark = ViolationMark(
                rule=v.rule,
                message_event_id=v.message_event_id,
                occurrences=v.occurrences,
                penalty=v.penalty,
                detail=v.detail,
            )
            marks[(v.agent_id, v.session_started_at)].append(mark)
            if v.message_event_id is not None:
                by_message[v.message_event_id].append(v.rule)
    orders = await repository.fetch_orders(session, **keys, start=lo, end=hi)
    return Transcript(
        buyer_id=buyer_id,
        from_=start,
        to=end,
        timezone=timezone,
        messages=[
            TranscriptMessage(
                **m._asdict(),
                counted=m.sender in ("buyer", "agent") and m.agent_id is not None,
                violations=by_message.get(m.event_id, []),
            )
            for m in messages[:MAX_MESSAGES]
        ],
        sessions=[_session_view(s, marks.get((s.agent_id, s.started_at), [])) for s in sessions],
        orders=[
            TranscriptOrderEvent(
                **{**o._asdict(), "amount": None if o.amount is None else str(o.amount)}
            )
            for o in orders
        ],
        truncated=len(messages) > MAX_MESSAGES,
    )
