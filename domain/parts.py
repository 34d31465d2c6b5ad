"""Additive rollup parts (SPEC §5): counts and sums that add up across buyers and days.

Field names are DB column names: do not rename. Everything is an int or an exact Decimal
(response times are integer microseconds) so that adding a buyer's new contribution and
subtracting its old one gives exactly the batch result, whatever the order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from operator import add, attrgetter, sub
from typing import Any, ClassVar, Self

from .spread import Spread, combine

_ZERO = Decimal(0)


class _Additive:
    """Field-wise +, -, zero test and JSON for the parts dataclasses below."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]]
    DECIMAL_FIELDS: ClassVar[frozenset[str]]
    # All field values as a tuple, in FIELDS order (one C call; rollups do this a lot).
    _values: ClassVar[Callable[..., tuple[Any, ...]]]  # a staticmethod(attrgetter)
    # field name -> JSON value decoder (int, or exact Decimal)
    _DECODERS: ClassVar[dict[str, Callable[[Any], Any]]]

    def values(self) -> tuple[Any, ...]:
        return self._values(self)

    # map(operator.add/sub) over the two value tuples: the field loop runs in C. Both
    # sides are the same class, so the tuples have the same length.
    def __add__(self, other: Self) -> Self:
        get = self._values
        return type(self)(*map(add, get(self), get(other)))

    def __sub__(self, other: Self) -> Self:
        get = self._values
        return type(self)(*map(sub, get(self), get(other)))

    def is_zero(self) -> bool:
        # Ints and Decimals are falsy exactly when they equal 0 (Decimal("-0.00") too).
        return not any(self._values(self))

    def to_json(self) -> dict[str, Any]:
        """Decimals as strings (exact); ints as ints."""
        decimals = self.DECIMAL_FIELDS
        return {
            f: str(v) if f in decimals else v
            for f, v in zip(self.FIELDS, self._values(self), strict=True)
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """A missing part is 0; keys that are not parts (agent_id, day, ...) are ignored.

        Stored rows leave their zeros out (services/scoring/contributions_json.py), so
        most of the thirty parts are absent: only the keys present are decoded, the rest
        keep their zero defaults. A full row is cheaper decoded field by field."""
        decoders = cls._DECODERS
        if len(data) > len(decoders) // 2:  # a full row (all columns): decode in order
            get = data.get
            return cls(*[decode(get(f, 0)) for f, decode in decoders.items()])
        return cls(**{k: decoders[k](v) for k, v in data.items() if k in decoders})


@dataclass(slots=True)
class AgentDayParts(_Additive):
    consultations: int = 0
    inquiries: int = 0
    ordered_buyers: int = 0
    paid_buyers: int = 0
    paid_orders: int = 0
    sales_amount: Decimal = _ZERO
    refund_amount: Decimal = _ZERO
    lost_inquiries: int = 0
    buyer_messages: int = 0
    agent_messages: int = 0
    responses: int = 0
    response_us_sum: int = 0
    first_responses: int = 0
    first_response_us_sum: int = 0
    slow_responses: int = 0
    unreplied_buyers: int = 0
    sessions: int = 0
    qa_sessions: int = 0
    qa_score_sum: int = 0
    reminded_orders: int = 0
    reminder_successes: int = 0
    aftersale_consultations: int = 0
    midsale_consultations: int = 0
    v_closing_by_agent: int = 0
    v_min_reply_length: int = 0
    v_min_emojis: int = 0
    v_greeting: int = 0
    v_slow_reply: int = 0
    v_unanswered: int = 0
    v_forbidden_words: int = 0
    # SPEC §11, on the review's posted_at day: reviews of orders the agent served, by
    # rating, and good reviews that name the agent.
    reviews: int = 0
    good_reviews: int = 0
    neutral_reviews: int = 0
    bad_reviews: int = 0
    review_mentions: int = 0
    # Not a part (not in FIELDS, not a column): the response times of summed rows, which
    # the rollup reader attaches for the percentiles (domain/spread.py). Sums carry it;
    # differences do not.
    spread: Spread | None = field(default=None, compare=False, repr=False)

    def __add__(self, other: Self) -> Self:
        get = self._values  # _Additive.__add__ inlined: rollup sums add rows by the thousand
        out = type(self)(*map(add, get(self), get(other)))
        if self.spread is not None or other.spread is not None:
            out.spread = combine(self.spread, other.spread)
        return out


@dataclass(slots=True)
class ShopDayParts(_Additive):
    placed_orders: int = 0
    paid_orders_total: int = 0
    sales_total: Decimal = _ZERO
    silent_orders: int = 0
    silent_sales: Decimal = _ZERO
    # SPEC §11, on the review's posted_at day: every review (silent orders' too) and the
    # DSR scores present (a mean is sum / count).
    reviews_total: int = 0
    bad_reviews_total: int = 0
    dsr_item_sum: int = 0
    dsr_item_count: int = 0
    dsr_service_sum: int = 0
    dsr_service_count: int = 0
    dsr_logistics_sum: int = 0
    dsr_logistics_count: int = 0


def _decimal(value: Any) -> Decimal:
    # Decimal(str(x)) for ints, floats...; a str or Decimal is taken exactly as it is.
    if type(value) is Decimal:
        return value
    return Decimal(value if type(value) is str else str(value))


for _cls in (AgentDayParts, ShopDayParts):
    _cls.FIELDS = tuple(f.name for f in fields(_cls) if f.name != "spread")
    _cls.DECIMAL_FIELDS = frozenset(f.name for f in fields(_cls) if f.type in ("Decimal", Decimal))
    _cls._values = staticmethod(attrgetter(*_cls.FIELDS))  # type: ignore[assignment]
    _cls._DECODERS = {f: _decimal if f in _cls.DECIMAL_FIELDS else int for f in _cls.FIELDS}
