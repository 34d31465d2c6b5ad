"""Daily rollups (agent_daily, shop_daily): summed per-buyer deltas, applied in bulk.

Each touched buyer contributes (new contributions - stored contributions); the deltas of
a batch are summed per row and added with one INSERT ... ON CONFLICT DO UPDATE per table,
so the running totals equal the sum of every buyer's current contributions. Rows that
became all zero are deleted (the API would skip them anyway).
"""

from __future__ import annotations

from typing import Any

from domain.parts import AgentDayParts, ShopDayParts
from services.scoring.core.totals import Totals
from services.scoring.repository import Pg

# The deltas of a batch are a core Totals: (shop_id, agent_id, day) and (shop_id, day) rows.
RollupDeltas = Totals


def _arrays(keys: list[tuple[Any, ...]], parts: list[Any], fields: tuple[str, ...]) -> list[Any]:
    columns: list[Any] = [[k[i] for k in keys] for i in range(len(keys[0]))]
    columns += [[getattr(p, f) for p in parts] for f in fields]
    return columns


def _types(fields: tuple[str, ...], decimals: frozenset[str]) -> str:
    return ", ".join("%b::numeric[]" if f in decimals else "%b::bigint[]" for f in fields)


async def _upsert(
    pg: Pg,
    table: str,
    key_cols: tuple[str, ...],
    key_types: str,
    rows: dict[Any, Any],
    cls: type[AgentDayParts] | type[ShopDayParts],
) -> None:
    live = {k: v for k, v in rows.items() if not v.is_zero()}
    if not live:
        return
    keys = sorted(live)  # a fixed row order: concurrent upserts never deadlock
    fields = cls.FIELDS
    cols = ", ".join((*key_cols, *fields))
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in fields)
    zero = " AND ".join(f"t.{f} = 0" for f in fields)
    match = " AND ".join(f"t.{c} = k.{c}" for c in key_cols)
    params = _arrays(keys, [live[k] for k in keys], fields)
    await pg.execute(
        f"""
        INSERT INTO {table} ({cols})
        SELECT * FROM unnest({key_types}, {_types(fields, cls.DECIMAL_FIELDS)})
        ON CONFLICT ({", ".join(key_cols)}) DO UPDATE SET {updates}
        """,
        params,
    )
    await pg.execute(
        f"""
        DELETE FROM {table} t USING unnest({key_types}) AS k({", ".join(key_cols)})
        WHERE {match} AND {zero}
        """,
        params[: len(key_cols)],
    )


async def apply_deltas(*, pg: Pg, deltas: RollupDeltas) -> None:
    await _upsert(
        pg,
        "agent_daily",
        ("shop_id", "agent_id", "day"),
        "%b::text[], %b::text[], %b::date[]",
        deltas.agent_days,
        AgentDayParts,
    )
    await _upsert(
        pg,
        "shop_daily",
        ("shop_id", "day"),
        "%b::text[], %b::date[]",
        deltas.shop_days,
        ShopDayParts,
    )
