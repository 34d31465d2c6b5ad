"""Rows of the scoring/ingest tables inserted directly (their services are tested apart)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.schema import chat_messages, inquiries, order_events, sessions, violations

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 11, 10, 0, tzinfo=CST)


def message(
    shop_id: str, event_id: str, buyer: str, agent: str | None, sender: str, seconds: int, text: str
) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "event_id": event_id,
        "buyer_id": buyer,
        "agent_id": agent,
        "sender": sender,
        "sent_at": T0 + timedelta(seconds=seconds),
        "msg_type": "text",
        "text": text,
        "message_id": None,
        "body": {},
        "src_topic": "cs.chat.v1",
        "src_partition": 0,
        "src_offset": seconds,
    }


async def conversation(
    engine: AsyncEngine, shop_id: str, buyer: str = "b1", agent: str = "a1"
) -> None:
    """b1 asks, a bot greets, a1 answers after 40 s with a forbidden word; lost inquiry."""
    day = date(2026, 11, 11)
    started = T0
    async with engine.begin() as conn:
        await conn.execute(
            insert(chat_messages),
            [
                message(shop_id, f"{buyer}-m1", buyer, agent, "buyer", 0, "在吗? 这个有货吗"),
                message(shop_id, f"{buyer}-m2", buyer, None, "bot", 1, "您好，客服马上来"),
                message(shop_id, f"{buyer}-m3", buyer, agent, "agent", 40, "不知道"),
            ],
        )
        await conn.execute(
            insert(order_events),
            [
                {
                    "shop_id": shop_id,
                    "event_id": f"{buyer}-o1",
                    "type": "order.created",
                    "order_id": f"{buyer}-order",
                    "buyer_id": buyer,
                    "occurred_at": T0 + timedelta(hours=1),
                    "amount": "59.90",
                    "body": {},
                    "src_topic": "cs.order.v1",
                    "src_partition": 0,
                    "src_offset": 1,
                }
            ],
        )
        await conn.execute(
            insert(sessions),
            [
                {
                    "shop_id": shop_id,
                    "buyer_id": buyer,
                    "agent_id": agent,
                    "started_at": started,
                    "ended_at": T0 + timedelta(seconds=40),
                    "day": day,
                    "closed": True,
                    "buyer_messages": 1,
                    "agent_messages": 1,
                    "qa_score": 82,
                    "responses": [
                        {
                            "question": f"{buyer}-m1",
                            "response": f"{buyer}-m3",
                            "response_us": 40_000_000,
                        }
                    ],
                }
            ],
        )
        await conn.execute(
            insert(violations),
            [
                {
                    "shop_id": shop_id,
                    "buyer_id": buyer,
                    "agent_id": agent,
                    "session_started_at": started,
                    "seq": 0,
                    "day": day,
                    "rule": "slow_reply",
                    "message_event_id": f"{buyer}-m3",
                    "occurrences": 1,
                    "penalty": 2,
                    "detail": "40 s",
                },
                {
                    "shop_id": shop_id,
                    "buyer_id": buyer,
                    "agent_id": agent,
                    "session_started_at": started,
                    "seq": 1,
                    "day": day,
                    "rule": "forbidden_words",
                    "message_event_id": f"{buyer}-m3",
                    "occurrences": 1,
                    "penalty": 10,
                    "detail": "不知道",
                },
            ],
        )
        await conn.execute(
            insert(inquiries),
            [
                {
                    "shop_id": shop_id,
                    "buyer_id": buyer,
                    "agent_id": agent,
                    "day": day,
                    "kind": "presale",
                    "status": "lost",
                    "first_buyer_at": T0,
                    "last_buyer_at": T0,
                    "order_ids": [],
                }
            ],
        )
