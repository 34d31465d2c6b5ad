"""SQL for transcripts: one buyer's rows in a time range."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import chat_messages, order_events, sessions, violations


async def buyer_known(session: AsyncSession, *, shop_id: str, buyer_id: str) -> bool:
    in_chat = exists().where(
        chat_messages.c.shop_id == shop_id, chat_messages.c.buyer_id == buyer_id
    )
    in_orders = exists().where(
        order_events.c.shop_id == shop_id, order_events.c.buyer_id == buyer_id
    )
    return bool(await session.scalar(select(or_(in_chat, in_orders))))


async def fetch_messages(
    session: AsyncSession,
    *,
    shop_id: str,
    buyer_id: str,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[Any]:
    c = chat_messages.c
    stmt = (
        select(c.event_id, c.sender, c.agent_id, c.sent_at, c.msg_type, c.text, c.message_id)
        .where(c.shop_id == shop_id, c.buyer_id == buyer_id, c.sent_at >= start, c.sent_at < end)
        .order_by(c.sent_at, c.event_id.collate("C"))
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def fetch_sessions(
    session: AsyncSession, *, shop_id: str, buyer_id: str, start: datetime, end: datetime
) -> list[Any]:
    s = sessions.c
    stmt = (
        select(
            s.agent_id,
            s.started_at,
            s.ended_at,
            s.day,
            s.closed,
            s.buyer_messages,
            s.agent_messages,
            s.qa_score,
            s.responses,
        )
        .where(
            s.shop_id == shop_id, s.buyer_id == buyer_id, s.started_at < end, s.ended_at >= start
        )
        .order_by(s.started_at, s.agent_id.collate("C"))
    )
    return list((await session.execute(stmt)).all())


async def fetch_violations(
    session: AsyncSession, *, shop_id: str, buyer_id: str, first: datetime, last: datetime
) -> list[Any]:
    v = violations.c
    stmt = (
        select(
            v.agent_id,
            v.session_started_at,
            v.seq,
            v.rule,
            v.message_event_id,
            v.occurrences,
            v.penalty,
            v.detail,
        )
        .where(
            v.shop_id == shop_id,
            v.buyer_id == buyer_id,
            v.session_started_at >= first,
            v.session_started_at <= last,
        )
        .order_by(v.session_started_at, v.seq)
    )
    return list((await session.execute(stmt)).all())


async def fetch_orders(
    session: AsyncSession, *, shop_id: str, buyer_id: str, start: datetime, end: datetime
) -> list[Any]:
    o = order_events.c
    stmt = (
        select(o.event_id, o.type, o.order_id, o.occurred_at, o.amount)
        .where(
            o.shop_id == shop_id,
            o.buyer_id == buyer_id,
            o.occurred_at >= start,
            o.occurred_at < end,
        )
        .order_by(o.occurred_at, o.event_id.collate("C"))
    )
    return list((await session.execute(stmt)).all())
