"""Payment reminders (催付, SPEC §4).

An order placed by order.created and not yet paid is reminded by the first agent message
to its buyer at m with placed < m, m < paid, m < cancelled (all strict) and
m - placed <= reminder_window. Ties on m go to the smallest agent_id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .days import local_day
from .model import ChatMessage
from .orders import Order


@dataclass(frozen=True, slots=True)
class Reminder:
    order_id: str
    agent_id: str
    message_event_id: str
    day: date  # the reminding message's local day
    successful: bool  # the order was paid afterwards


def _qualifies(order: Order, at: datetime, window: timedelta) -> bool:
    if not order.placed_at < at or at - order.placed_at > window:
        return False
    if order.paid_at is not None and not at < order.paid_at:
        return False
    return order.cancelled_at is None or at < order.cancelled_at


def _reminder_key(message: ChatMessage) -> tuple[datetime, str, str]:
    assert message.agent_id is not None
    return (message.sent_at, message.agent_id, message.event_id)


def find_reminders(
    orders: Iterable[Order],
    messages: Sequence[ChatMessage],
    window: timedelta,
    timezone: str,
) -> list[Reminder]:
    """Reminders of the buyer's orders, given the buyer's counting messages (any order)."""
    agent_messages = sorted((m for m in messages if m.sender == "agent"), key=_reminder_key)
    reminders: list[Reminder] = []
    for order in sorted(orders, key=lambda o: o.order_id):
        if order.placed_by != "order.created":
            continue  # placed by its payment: there was never an unpaid moment to remind
        first = next((m for m in agent_messages if _qualifies(order, m.sent_at, window)), None)
        if first is None:
            continue
        assert first.agent_id is not None
        reminders.append(
            Reminder(
                order_id=order.order_id,
                agent_id=first.agent_id,
                message_event_id=first.event_id,
                day=local_day(first.sent_at, timezone),
                successful=order.paid,
            )
        )
    return reminders
