"""Payment reminders (催付, SPEC §4).

An order placed by order.created and not yet paid is reminded by the first agent message
to its buyer at m with placed < m, m < paid, m < cancelled (all strict) and
m - placed <= reminder_window. Ties on m go to the smallest agent_id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter

from .model import ChatMessage
from .orders import Order


@dataclass(slots=True, unsafe_hash=True)  # not frozen: see responses.Question
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


# (sent_at, agent_id, event_id) as one C call: the tie rule's order of candidates.
_REMINDER_KEY = attrgetter("sent_at", "agent_id", "event_id")
_ORDER_ID = attrgetter("order_id")


def find_reminders(
    orders: Iterable[Order],
    messages: Sequence[ChatMessage],
    window: timedelta,
    days: Mapping[datetime, date],
) -> list[Reminder]:
    """Reminders of the buyer's orders, given the buyer's counting messages (any order).

    `days`: instant -> local day (days.zone_days of the shop's zone).
    """
    remindable = [o for o in orders if o.placed_by == "order.created"]
    if not remindable:
        return []  # placed by a payment: there was never an unpaid moment to remind
    agent_messages = sorted((m for m in messages if m.sender == "agent"), key=_REMINDER_KEY)
    reminders: list[Reminder] = []
    for order in sorted(remindable, key=_ORDER_ID):
        first = next((m for m in agent_messages if _qualifies(order, m.sent_at, window)), None)
        if first is None:
            continue
        assert first.agent_id is not None
        reminders.append(
            Reminder(
                order_id=order.order_id,
                agent_id=first.agent_id,
                message_event_id=first.event_id,
                day=days[first.sent_at],
                successful=order.paid,
            )
        )
    return reminders
