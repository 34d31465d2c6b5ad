"""buyer_state.contributions as stored: the core's contributions JSON without its zeros.

A buyer's agent-day row has some thirty parts and most are 0, so the full document
(core contributions_to_json) is mostly zeros: about 1.2 kB a buyer, which Postgres parses
into jsonb on every write and sends back on every read. Leaving the zeros out halves it.
The core's contributions_from_json reads a missing part as 0, so both forms decode to the
same Contributions, and rows written in either form stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from itertools import compress
from typing import Any, Protocol, TypeVar

from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import ResponseTimes
from services.scoring.core.contributions import diff, spreads_to_json
from services.scoring.core.facts import AgentDays, Contributions, ShopDays, Spreads

# A buyer_state.contributions document as read back (orjson of the stored jsonb).
Stored = Mapping[str, Any]
# The default of the parts' decimal fields (one shared Decimal(0)): most rows keep it.
_UNSET = AgentDayParts().sales_amount


class HasParts(Protocol):
    @property
    def agent_days(self) -> AgentDays: ...
    @property
    def shop_days(self) -> ShopDays: ...
    @property
    def spreads(self) -> Spreads: ...


def _nonzero(parts: AgentDayParts | ShopDayParts, row: dict[str, Any]) -> dict[str, Any]:
    values = parts.values()
    row.update(compress(zip(parts.FIELDS, values, strict=True), values))  # non-zero parts
    for name in parts.DECIMAL_FIELDS:  # exact decimal strings
        value = getattr(parts, name)
        if value is _UNSET:
            continue  # the field's default, Decimal(0): "0"
        text = str(value)
        # Only a plain "0" goes: it decodes back to the same Decimal (exponent too).
        if text != "0":
            row[name] = text
    return row


def compact_contributions(facts: HasParts) -> dict[str, Any]:
    """{"agent_days": [{agent_id, day, <nonzero parts>}], "shop_days": [{day, <nonzero
    parts>}]}, rows sorted like contributions_to_json."""
    compact: dict[str, Any] = {
        "agent_days": [
            _nonzero(parts, {"agent_id": agent, "day": day.isoformat()})
            for (agent, day), parts in sorted(facts.agent_days.items())
        ],
        "shop_days": [
            _nonzero(parts, {"day": day.isoformat()})
            for day, parts in sorted(facts.shop_days.items())
        ],
    }
    if facts.spreads:  # response times (SPEC §11): none for a buyer nobody answered
        compact["spreads"] = spreads_to_json(facts.spreads)
    return compact


K = TypeVar("K")
P = TypeVar("P", AgentDayParts, ShopDayParts, ResponseTimes)
Row = Mapping[str, Any]


def _agent_day(row: Row) -> tuple[str, str]:
    return row["agent_id"], row["day"]


def _day(row: Row) -> str:
    return row["day"]  # type: ignore[no-any-return]


# Per parts class: field -> (position in FIELDS, JSON decoder), and the decimal fields'
# positions (a decimal part missing from a stored row is Decimal(0), as from_json has it).
_LAYOUT: dict[type, dict[str, tuple[int, Callable[[Any], Any]]]] = {
    cls: {f: (i, cls._DECODERS[f]) for i, f in enumerate(cls.FIELDS)}
    for cls in (AgentDayParts, ShopDayParts)
}
_DECIMALS: dict[type, list[tuple[int, str]]] = {
    cls: [(i, f) for i, f in enumerate(cls.FIELDS) if f in cls.DECIMAL_FIELDS]
    for cls in (AgentDayParts, ShopDayParts)
}
_DECIMAL_ZERO = Decimal(0)
_NO_ROW: Row = {}


def _minus(parts: Any, row: Row) -> Any:
    """parts − type(parts).from_json(row) by the same field operations, decoding only the
    parts the stored row holds (a few of some thirty) instead of building its object."""
    cls = type(parts)
    if cls is ResponseTimes:
        return parts - ResponseTimes.from_json(row)
    values = list(parts.values())
    layout = _LAYOUT[cls]
    for name, raw in row.items():
        spot = layout.get(name)  # None: the row's key (agent_id, day)
        if spot is not None:
            values[spot[0]] -= spot[1](raw)
    for i, name in _DECIMALS[cls]:
        if name not in row:
            values[i] -= _DECIMAL_ZERO
    return cls(*values)


def _rows_diff(
    new: Mapping[K, P],
    compact: list[Row],
    stored: list[Row],
    key: Callable[[Row], Any],
    parse: Callable[[Row], K],
    cls: type[P],
) -> dict[K, P]:
    """new − stored for one table of rows; `compact`: new's rows as compact_contributions
    made them (same order as sorted(new.items()))."""
    if compact == stored:
        return {}  # the table as stored (a buyer's spreads after a buyer message, say)
    old = {key(row): row for row in stored}
    out: dict[K, P] = {}
    for (k, parts), row in zip(sorted(new.items()), compact, strict=True):
        before = old.pop(key(row), None)
        if before == row:
            continue  # stored exactly as it would be written again: a zero difference
        delta = _minus(parts, before or _NO_ROW)  # a new row: minus zero, as core diff does
        if not delta.is_zero():
            out[k] = delta
    for row in old.values():  # rows the buyer no longer has: subtract them whole
        gone = cls() - cls.from_json(row)
        if not gone.is_zero():
            out[parse(row)] = gone
    return out


def _parse_agent_day(row: Row) -> tuple[str, date]:
    return row["agent_id"], date.fromisoformat(row["day"])


def _parse_day(row: Row) -> date:
    return date.fromisoformat(row["day"])


def stored_diff(new: HasParts, compact: Mapping[str, Any], stored: Stored | None) -> Contributions:
    """new − stored, row by row, zero rows dropped: exactly core diff(new,
    contributions_from_json(stored)), with the stored rows that equal their new compact
    row (`compact`: compact_contributions(new)) left undecoded. Equal JSON decodes to
    equal parts, whose difference is zero; and live traffic changes a buyer's row of the
    day, not its older ones."""
    if not stored or not (
        stored.get("agent_days") or stored.get("shop_days") or stored.get("spreads")
    ):
        return diff(new, None)  # nothing stored: new itself (core diff's first derivation)
    return Contributions(
        _rows_diff(
            new.agent_days,
            compact["agent_days"],
            stored.get("agent_days", []),
            _agent_day,
            _parse_agent_day,
            AgentDayParts,
        ),
        _rows_diff(
            new.shop_days,
            compact["shop_days"],
            stored.get("shop_days", []),
            _day,
            _parse_day,
            ShopDayParts,
        ),
        _rows_diff(
            new.spreads,
            compact.get("spreads", []),
            stored.get("spreads", []),
            _agent_day,
            _parse_agent_day,
            ResponseTimes,
        ),
    )
