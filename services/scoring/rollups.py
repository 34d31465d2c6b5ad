"""Daily rollups (agent_daily, shop_daily): summed per-buyer deltas, applied in bulk.

Each touched buyer contributes (new contributions - stored contributions); the deltas of
a batch are summed per row and added with one INSERT ... ON CONFLICT DO UPDATE per table,
so the running totals equal the sum of every buyer's current contributions. Rows that
became all zero are deleted (the API would skip them anyway).

Response times (agent_responses, SPEC §11 percentiles) are not sums: a batch's summed
multiset differences are applied to the touched agent-days' stored sorted runs, read
under FOR UPDATE, in key order: to the small recent part of each agent-day, merged into
its settled part now and then (services/scoring/response_parts.py, docs/percentiles.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import HEADER, ResponseTimes, encode
from services.scoring.core.totals import Totals
from services.scoring.repository import Pg
from services.scoring.response_parts import RECENT, SETTLED, merged, recent_applied

# The deltas of a batch are a core Totals: (shop_id, agent_id, day) and (shop_id, day) rows.
RollupDeltas = Totals


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows (never none) as columns: one array parameter per column for `unnest`."""
    return [list(column) for column in zip(*rows, strict=True)]


def _arrays(keys: list[tuple[Any, ...]], parts: list[Any], fields: tuple[str, ...]) -> list[Any]:
    columns: list[Any] = _columns(keys)
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
_NOTHING = (_EMPTY, _EMPTY)
SpreadKey = tuple[str, str, Any]  # (shop_id, agent_id, day)
_Row = tuple[str, str, Any, int, bytes, bytes]  # key, part, response_us, first_response_us

# The touched agent-days' rows, locked in key order; the values of the recent parts only
# (a settled run is read when it is merged into, below).
_LOCK_PARTS = """
SELECT r.shop_id, r.agent_id, r.day, r.part,
       CASE WHEN r.part = 1 THEN r.response_us END,
       CASE WHEN r.part = 1 THEN r.first_response_us END
FROM agent_responses r
JOIN unnest(%b::text[], %b::text[], %b::date[]) AS k(shop_id, agent_id, day)
  ON r.shop_id = k.shop_id AND r.agent_id = k.agent_id AND r.day = k.day
ORDER BY r.shop_id, r.day, r.agent_id, r.part
FOR UPDATE OF r
"""
_SETTLED = """
SELECT r.shop_id, r.agent_id, r.day, r.response_us, r.first_response_us
FROM agent_responses r
JOIN unnest(%b::text[], %b::text[], %b::date[]) AS k(shop_id, agent_id, day)
  ON r.shop_id = k.shop_id AND r.agent_id = k.agent_id AND r.day = k.day
WHERE r.part = 0
"""
_UPSERT = """
INSERT INTO agent_responses (shop_id, agent_id, day, part, response_us, first_response_us)
SELECT * FROM unnest(%b::text[], %b::text[], %b::date[], %b::int2[], %b::bytea[], %b::bytea[])
ON CONFLICT (shop_id, day, agent_id, part) DO UPDATE SET
    response_us = excluded.response_us,
    first_response_us = excluded.first_response_us
"""
_DELETE = """
DELETE FROM agent_responses r
USING unnest(%b::text[], %b::text[], %b::date[], %b::int2[]) AS k(shop_id, agent_id, day, part)
WHERE r.shop_id = k.shop_id AND r.agent_id = k.agent_id AND r.day = k.day AND r.part = k.part
"""


async def _apply_spreads(pg: Pg, spreads: dict[SpreadKey, ResponseTimes]) -> None:
    """Each touched agent-day's difference into its recent part, or merged into its
    settled part (services/scoring/response_parts.py)."""
    live = {k: v for k, v in spreads.items() if not v.is_zero()}
    if not live:
        return
    keys = sorted(live)  # the same fixed order as the other upserts
    cursor = await pg.execute(_LOCK_PARTS, _columns(keys))
    recent: dict[SpreadKey, tuple[bytes, bytes]] = {}
    settled_exists: set[SpreadKey] = set()
    for shop_id, agent_id, day, part, r, f in await cursor.fetchall():
        if part == RECENT:
            recent[(shop_id, agent_id, day)] = (bytes(r), bytes(f))
        else:
            settled_exists.add((shop_id, agent_id, day))
    write: list[_Row] = []
    merging: list[SpreadKey] = []
    for key in keys:
        new = recent_applied(recent.get(key, _NOTHING), live[key])
        if new is None:
            merging.append(key)
        else:
            write.append((*key, RECENT, encode(new[0]), encode(new[1])))
    if merging:
        write += await _merged_rows(pg, merging, live, recent, settled_exists)
    keep = [row for row in write if len(row[4]) > HEADER or len(row[5]) > HEADER]
    gone = [
        row[:4]
        for row in write
        if len(row[4]) == len(row[5]) == HEADER
        and (row[:3] in recent if row[3] == RECENT else row[:3] in settled_exists)
    ]
    if keep:
        await pg.execute(_UPSERT, _columns(keep))
    if gone:
        await pg.execute(_DELETE, _columns(gone))


async def _merged_rows(
    pg: Pg,
    keys: list[SpreadKey],
    live: dict[SpreadKey, ResponseTimes],
    recent: dict[SpreadKey, tuple[bytes, bytes]],
    settled_exists: set[SpreadKey],
) -> list[_Row]:
    """The agent-days' new settled parts (recent + difference merged in) and their recent
    parts emptied."""
    settled: dict[SpreadKey, tuple[bytes, bytes]] = {}
    if any(k in settled_exists for k in keys):
        cursor = await pg.execute(_SETTLED, _columns(keys))
        for shop_id, agent_id, day, r, f in await cursor.fetchall():
            settled[(shop_id, agent_id, day)] = (bytes(r), bytes(f))
    rows: list[_Row] = []
    for key in keys:
        whole = merged(settled.get(key, _NOTHING), recent.get(key, _NOTHING), live[key])
        rows.append((*key, SETTLED, encode(whole[0]), encode(whole[1])))
        rows.append((*key, RECENT, _EMPTY, _EMPTY))
    return rows
