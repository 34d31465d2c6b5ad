"""Small builders for hand-worked scoring scenarios (shop s1, buyer b1, Asia/Shanghai)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.parts import AgentDayParts
from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring.core import BuyerFacts, ChatMessage, OrderEvent, derive_buyer
from services.scoring.core.model import Event

SH = ZoneInfo("Asia/Shanghai")
_ids = itertools.count()


def t(local: str, seconds: float = 0) -> datetime:
    """'2026-11-11 10:00:00' in Shanghai local time, plus optional seconds."""
    base = datetime.fromisoformat(local).replace(tzinfo=SH)
    return base + timedelta(seconds=seconds)


def _eid(eid: str | None, prefix: str) -> str:
    return eid if eid is not None else f"{prefix}{next(_ids):06d}"


def buyer(
    at: datetime,
    agent: str | None = "A",
    text: str = "在吗",
    *,
    b: str = "b1",
    msg_type: str = "text",
    eid: str | None = None,
) -> ChatMessage:
    return ChatMessage("s1", _eid(eid, "m"), b, agent, "buyer", at, msg_type, text)  # type: ignore[arg-type]


# The default agent text passes every QA rule: greeting (您好, 亲), 3 emoji, 6 characters.
GOOD = "您好亲😀😀😀"


def agent(
    at: datetime,
    agent: str | None = "A",
    text: str = GOOD,
    *,
    b: str = "b1",
    msg_type: str = "text",
    eid: str | None = None,
    sender: str = "agent",
) -> ChatMessage:
    return ChatMessage("s1", _eid(eid, "m"), b, agent, sender, at, msg_type, text)  # type: ignore[arg-type]


def order(
    kind: str,
    oid: str,
    at: datetime,
    amount: str | None = None,
    *,
    b: str = "b1",
    eid: str | None = None,
) -> OrderEvent:
    money = Decimal(amount) if amount is not None else None
    return OrderEvent("s1", _eid(eid, "o"), f"order.{kind}", oid, b, at, money)  # type: ignore[arg-type]


def derive(
    events: Sequence[Event],
    watermark: datetime | None = None,
    *,
    settings: ShopSettings | None = None,
    rules: QaRules | None = None,
    b: str = "b1",
) -> BuyerFacts:
    """Derive buyer `b`; the watermark defaults to the latest event (as the shop's would be)."""
    messages = [e for e in events if isinstance(e, ChatMessage)]
    orders = [e for e in events if isinstance(e, OrderEvent)]
    if watermark is None:
        watermark = max(e.sent_at if isinstance(e, ChatMessage) else e.occurred_at for e in events)
    return derive_buyer(
        messages, orders, settings or ShopSettings(), rules or QaRules(), watermark, buyer_id=b
    )


def day_parts(facts: BuyerFacts, agent_id: str, local_date: str) -> AgentDayParts:
    from datetime import date

    return facts.agent_days.get((agent_id, date.fromisoformat(local_date)), AgentDayParts())


FAR = t("2027-06-01 00:00:00")  # a watermark that closes every session and settles inquiries
