"""Daily rollups (agent_daily, shop_daily): summed per-buyer deltas, applied in bulk.

Each touched buyer contributes (new contributions - stored contributions); the deltas of
a batch are summed per row and added with one INSERT ... ON CONFLICT DO UPDATE per table,
so the running totals equal the sum of every buyer's current contributions. Rows that
became all zero are deleted (the API would skip them anyway).

Response times (agent_responses, SPEC §11 percentiles) are not sums: a batch's summed
multiset differences are applied to the touched agent-days' stored sorted runs, read
under FOR UPDATE, in key order (domain/spread.py, docs/percentiles.md).
"""

from __future__ import annotations

from typing import Any

from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import ResponseTimes, applied, encode
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
    await _apply_spreads(pg, deltas.spreads)


_EMPTY = encode([])


async def _apply_spreads(pg: Pg, spreads: dict[tuple[str, str, Any], ResponseTimes]) -> None:
    live = {k: v for k, v in spreads.items() if not v.is_zero()}
    if not live:
        return
    keys = sorted(live)  # the same fixed order as the other upserts
    columns = [[k[i] for k in keys] for i in range(3)]
    cursor = await pg.execute(
        """
        SELECT r.shop_id, r.agent_id, r.day, r.response_us, r.first_response_us
        FROM agent_responses r
        JOIN unnest(%b::text[], %b::text[], %b::date[]) AS k(shop_id, agent_id, day)
          ON r.shop_id = k.shop_id AND r.agent_id = k.agent_id AND r.day = k.day
        ORDER BY r.shop_id, r.day, r.agent_id
        FOR UPDATE OF r
        """,
        columns,
    )
    current = {(row[0], row[1], row[2]): (row[3], row[4]) for row in await cursor.fetchall()}
    keep: list[tuple[Any, ...]] = []
    drop: list[tuple[str, str, Any]] = []
    for key in keys:
        delta = live[key]
        old_r, old_f = current.get(key, (_EMPTY, _EMPTY))
        new_r = applied(bytes(old_r), delta.responses)
        new_f = applied(bytes(old_f), delta.first)
        if new_r or new_f:
            keep.append((*key, encode(new_r), encode(new_f)))
        elif key in current:
            drop.append(key)
    if keep:
        await pg.execute(
            """
            INSERT INTO agent_responses (shop_id, agent_id, day, response_us, first_response_us)
            SELECT * FROM unnest(%b::text[], %b::text[], %b::date[], %b::bytea[], %b::bytea[])
            ON CONFLICT (shop_id, day, agent_id) DO UPDATE SET
                response_us = excluded.response_us,
                first_response_us = excluded.first_response_us
            """,
            [[row[i] for row in keep] for i in range(5)],
        )
    if drop:
        await pg.execute(
            """
            DELETE FROM agent_responses r
            USING unnest(%b::text[], %b::text[], %b::date[]) AS k(shop_id, agent_id, day)
            WHERE r.shop_id = k.shop_id AND r.agent_id = k.agent_id AND r.day = k.day
            """,
            [[k[i] for k in drop] for i in range(3)],
        )
