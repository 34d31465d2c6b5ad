"""buyer_state.contributions as stored: the core's contributions JSON without its zeros.

A buyer's agent-day row has some thirty parts and most are 0, so the full document
(core contributions_to_json) is mostly zeros: about 1.2 kB a buyer, which Postgres parses
into jsonb on every write and sends back on every read. Leaving the zeros out halves it.
The core's contributions_from_json reads a missing part as 0, so both forms decode to the
same Contributions, and rows written in either form stay readable.
"""

from __future__ import annotations

from itertools import compress
from typing import Any, Protocol

from domain.parts import AgentDayParts, ShopDayParts
from services.scoring.core.contributions import spreads_to_json
from services.scoring.core.facts import AgentDays, ShopDays, Spreads


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
        text = str(getattr(parts, name))
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
