"""Pure functional core of the scoring engine: the derivation rules of SPEC §4–§6, plain
data in, plain data out, no I/O.

The unit of (re-)derivation is one (shop_id, buyer_id): see derive.derive_buyer and
docs/definitions.md. What the other services share with scoring (shop settings, QA rule
settings, the additive rollup parts, the metric catalogue) is in the `domain` package.
"""

from .attribution import InquiryKey
from .contributions import contributions_from_json, contributions_to_json, diff
from .derive import derive_buyer
from .emoji import EMOJI_PATTERN
from .facts import BuyerFacts, Contributions, Session
from .inquiries import Consultation
from .model import ChatMessage, Event, OrderEvent, ReviewEvent, event_time
from .orders import Order, fold_orders, order_buyers, order_event_buyers
from .qa import QaResult, Violation
from .reminders import Reminder
from .responses import Question
from .text import char_count, count_emojis
from .totals import Totals

__all__ = [
    "EMOJI_PATTERN",
    "BuyerFacts",
    "ChatMessage",
    "Consultation",
    "Contributions",
    "Event",
    "InquiryKey",
    "Order",
    "OrderEvent",
    "QaResult",
    "Question",
    "Reminder",
    "ReviewEvent",
    "Session",
    "Totals",
    "Violation",
    "char_count",
    "contributions_from_json",
    "contributions_to_json",
    "count_emojis",
    "derive_buyer",
    "diff",
    "event_time",
    "fold_orders",
    "order_buyers",
    "order_event_buyers",
]
