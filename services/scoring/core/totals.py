"""Running rollup totals over many buyers and shops (what the DB rollup tables hold)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import ResponseTimes

from .facts import Contributions


@dataclass(slots=True)
class Totals:
    agent_days: dict[tuple[str, str, date], AgentDayParts] = field(default_factory=dict)
    shop_days: dict[tuple[str, date], ShopDayParts] = field(default_factory=dict)
    # Response-time multisets per (shop_id, agent_id, day) (SPEC §11 percentiles).
    spreads: dict[tuple[str, str, date], ResponseTimes] = field(default_factory=dict)

    def add(self, shop_id: str, delta: Contributions) -> None:
        """Add a buyer's contribution (or a new-minus-old diff); rows reaching zero vanish."""
        # Parts are values (+ and - make new ones), so a row new to the totals can be the
        # delta's own parts object: no zero row to add it to.
        agent_days, shop_days = self.agent_days, self.shop_days
        for (agent, day), parts in delta.agent_days.items():
            key = (shop_id, agent, day)
            current = agent_days.get(key)
            value = parts if current is None else current + parts
            if value.is_zero():  # _put inlined: a batch adds every derived buyer's rows
                agent_days.pop(key, None)
            else:
                agent_days[key] = value
        for day, shop_parts in delta.shop_days.items():
            skey = (shop_id, day)
            current_shop = shop_days.get(skey)
            _put(shop_days, skey, shop_parts if current_shop is None else current_shop + shop_parts)
        spreads = self.spreads
        for (agent, day), times in delta.spreads.items():
            key = (shop_id, agent, day)
            current_times = spreads.get(key)
            _put(spreads, key, times if current_times is None else current_times + times)

    def merge(self, other: Totals) -> None:
        """Add another running total (of other buyers) to this one."""
        for key, parts in other.agent_days.items():
            current = self.agent_days.get(key)
            _put(self.agent_days, key, parts if current is None else current + parts)
        for skey, shop_parts in other.shop_days.items():
            current_shop = self.shop_days.get(skey)
            _put(
                self.shop_days,
                skey,
                shop_parts if current_shop is None else current_shop + shop_parts,
            )
        for key, times in other.spreads.items():
            current_times = self.spreads.get(key)
            _put(self.spreads, key, times if current_times is None else current_times + times)


K = TypeVar("K")
P = TypeVar("P", AgentDayParts, ShopDayParts, ResponseTimes)


def _put(rows: dict[K, P], key: K, value: P) -> None:
    if value.is_zero():
        rows.pop(key, None)
    else:
        rows[key] = value
