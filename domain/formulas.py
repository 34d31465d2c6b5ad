"""Formulas over the additive parts (SPEC §5): how a metric is computed from summed parts.

A formula reads the fields of one parts object (AgentDayParts for per-agent metrics,
ShopDayParts for the shop-level ones) and gives the exact value: an int for a count, a
Decimal for money and every ratio (divided in a 34-digit context, so 539/1000 stays
below 0.54 and 0.58 − 0.54 is exactly two steps of 0.02), None for a zero denominator.

`nearest` is the same value as the float closest to it, for the JSON edge only
(domain/metrics.py). For a ratio of two integer parts it is Python's int true division,
which is correctly rounded: the float nearest the exact quotient, as float(exact) is,
without the Decimal detour that would cost most of a /v1/metrics row's time (a property
test holds the two equal).

A new kind of metric (SPEC §11's percentiles) adds a formula class with the same four
members; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal
from operator import attrgetter
from typing import Any, Protocol

CONTEXT = Context(prec=34)
Exact = int | Decimal


class Formula(Protocol):
    @property
    def parts(self) -> tuple[str, ...]:
        """The part fields the formula reads."""
        ...

    def exact(self, parts: Any) -> Exact | None:
        """The value over one (summed) parts object; None when it has none."""
        ...

    def nearest(self, parts: Any) -> float | None:
        """The float nearest the exact value (JSON only; never compared)."""
        ...

    def text(self) -> str:
        """The formula as a person reads it: `paid_buyers / inquiries`."""
        ...


@dataclass(frozen=True, slots=True)
class Part:
    """One additive part as it is: a count (int) or a money sum (Decimal)."""

    name: str

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.name,)

    def exact(self, parts: Any) -> Exact:
        value: Exact = getattr(parts, self.name)
        return value

    def nearest(self, parts: Any) -> float:
        return float(getattr(parts, self.name))

    def text(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Total:
    """The sum of several parts (violations over every rule)."""

    names: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, ...]:
        return self.names

    def exact(self, parts: Any) -> Exact:
        return sum(attrgetter(*self.names)(parts))  # type: ignore[no-any-return]

    def nearest(self, parts: Any) -> float:
        return float(self.exact(parts))

    def text(self) -> str:
        return " + ".join(self.names)


@dataclass(frozen=True, slots=True)
class Difference:
    """One part minus another (sales_total − silent_sales)."""

    minuend: str
    subtrahend: str

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.minuend, self.subtrahend)

    def exact(self, parts: Any) -> Exact:
        value: Exact = getattr(parts, self.minuend) - getattr(parts, self.subtrahend)
        return value

    def nearest(self, parts: Any) -> float:
        return float(self.exact(parts))

    def text(self) -> str:
        return f"({self.minuend} − {self.subtrahend})"


Term = Part | Difference


@dataclass(frozen=True, slots=True)
class Ratio:
    """numerator / (denominator × scale); None when the denominator is zero.

    `scale` converts units: response times are stored in integer microseconds, so the
    mean in seconds is response_us_sum / (responses × 10⁶)."""

    numerator: Term
    denominator: str
    scale: int = 1

    @property
    def parts(self) -> tuple[str, ...]:
        return (*self.numerator.parts, self.denominator)

    def exact(self, parts: Any) -> Decimal | None:
        denominator = getattr(parts, self.denominator)
        if denominator == 0:
            return None
        return CONTEXT.divide(
            Decimal(self.numerator.exact(parts)), Decimal(denominator * self.scale)
        )

    def nearest(self, parts: Any) -> float | None:
        denominator = getattr(parts, self.denominator)
        if denominator == 0:
            return None
        numerator = self.numerator.exact(parts)
        if type(numerator) is int and type(denominator) is int:
            return numerator / (denominator * self.scale)  # correctly rounded
        return float(CONTEXT.divide(Decimal(numerator), Decimal(denominator * self.scale)))

    def text(self) -> str:
        if self.scale == 1:
            return f"{self.numerator.text()} / {self.denominator}"
        scale = f"{self.scale:,}".replace(",", " ")
        return f"{self.numerator.text()} / ({self.denominator} × {scale})"


@dataclass(frozen=True, slots=True)
class Percentile:
    """The nearest-rank percentile q = numerator/denominator of a row's response times
    (SPEC §11): the ⌈q·n⌉-th smallest of its n values, in seconds (stored µs / scale).

    Read from the row's spread (domain/spread.py), which the rollup reader attaches to
    summed parts; None when the row has no value (n = 0) or no spread. `count` is the
    part that counts the values (its n), `source` which times: `responses` or `first`."""

    source: str
    count: str
    numerator: int
    denominator: int
    scale: int = 1

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.count,)

    def exact(self, parts: Any) -> Decimal | None:
        spread = getattr(parts, "spread", None)
        if spread is None:
            return None
        us = spread.percentile(self.source, self.numerator, self.denominator)
        if us is None:
            return None
        return CONTEXT.divide(Decimal(us), Decimal(self.scale))  # exact: a power of ten

    def nearest(self, parts: Any) -> float | None:
        spread = getattr(parts, "spread", None)
        if spread is None:
            return None
        us = spread.percentile(self.source, self.numerator, self.denominator)
        return None if us is None else us / self.scale  # correctly rounded

    def text(self) -> str:
        times = "response" if self.source == "responses" else "first response"
        q = f"{self.numerator}/{self.denominator}"
        return f"nearest rank ⌈{q} × {self.count}⌉ of the {times} times"
