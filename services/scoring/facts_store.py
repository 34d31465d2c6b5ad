"""A buyer's stored derivation: drill-down facts (sessions, violations, inquiries) and
buyer_state (its last rollup contributions and when to wake it).

Facts are replaced wholesale per buyer (delete by (shop_id, buyer_id), then insert), so
re-deriving a buyer twice leaves exactly one copy. The facts go in with binary COPY: a
batch writes tens of thousands of rows, and COPY neither builds per-column arrays on the
client nor plans an unnest on the server. buyer_state.contributions is stored without
its zero parts (contributions_json.py): half the jsonb to parse on write and send on read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from psycopg import AsyncCopy
from psycopg.copy import AsyncWriter
from psycopg.types.json import JsonbBinaryDumper, set_json_loads

from services.scoring.contributions_json import Stored, compact_contributions
from services.scoring.core.facts import BuyerFacts
from services.scoring.repository import BuyerKey, Pg

_FACT_TABLES = ("sessions", "violations", "inquiries", "order_reviews")


@dataclass(frozen=True, slots=True)
class _CopyTarget:
    """A fact table's COPY: its columns in FactRows' tuple order, with their types."""

    table: str
    columns: str  # "name type, name type, ..."

    @property
    def statement(self) -> str:
        names = ", ".join(c.split()[0] for c in self.columns.split(","))
        return f"COPY {self.table} ({names}) FROM STDIN (FORMAT BINARY)"

    @property
    def types(self) -> list[str]:
        return [c.split()[1] for c in self.columns.split(",")]


_SESSIONS = _CopyTarget(
    "sessions",
    "shop_id text, buyer_id text, agent_id text, started_at timestamptz,"
    " ended_at timestamptz, day date, closed bool, buyer_messages int4, agent_messages int4,"
    " qa_score int4, responses jsonb",
)
_VIOLATIONS = _CopyTarget(
    "violations",
    "shop_id text, buyer_id text, agent_id text, session_started_at timestamptz, seq int4,"
    " day date, rule text, message_event_id text, occurrences int4, penalty int4, detail text",
)
_INQUIRIES = _CopyTarget(
    "inquiries",
    "shop_id text, buyer_id text, agent_id text, day date, kind text, status text,"
    " first_buyer_at timestamptz, last_buyer_at timestamptz, order_ids jsonb",
)

_REVIEWS = _CopyTarget(
    "order_reviews",
    "shop_id text, buyer_id text, order_id text, event_id text, posted_at timestamptz,"
    " day date, rating text, text text, dsr_item int2, dsr_service int2, dsr_logistics int2,"
    " placed_at timestamptz, agent_id text, inquiry_day date, mentions jsonb",
)
# Only where the buyer has no row yet (a rescore rebuilds the shop after deleting it);
# derived_at takes its default, the transaction's now().
_STATES = _CopyTarget(
    "buyer_state", "shop_id text, buyer_id text, wake_at timestamptz, contributions jsonb"
)


class _JsonTextBinaryDumper(JsonbBinaryDumper):
    """jsonb in binary COPY from a str that already holds the JSON document (FactRows
    serialises with orjson): the format is a version byte, then the text."""

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + obj.encode()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


_EMPTY = _json([])  # most consultations credit no order


async def load_stored(*, pg: Pg, keys: Iterable[BuyerKey]) -> dict[BuyerKey, Stored]:
    """The buyers' stored buyer_state.contributions documents, as stored (undecoded:
    contributions_json.stored_diff decodes only the rows that changed)."""
    pairs = list(keys)
    if not pairs:
        return {}
    set_json_loads(orjson.loads, pg)  # the stdlib decoder is several times slower
    cur = await pg.execute(
        """
        SELECT k.shop_id, k.buyer_id, b.contributions
        FROM unnest(%b::text[], %b::text[]) AS k(shop_id, buyer_id)
        CROSS JOIN LATERAL (  -- one index lookup per key (timeline_loader.py says why)
            SELECT b.contributions FROM buyer_state b
            WHERE b.shop_id = k.shop_id AND b.buyer_id = k.buyer_id OFFSET 0
        ) b
        """,
        ([p[0] for p in pairs], [p[1] for p in pairs]),
    )
    return {(r[0], r[1]): r[2] for r in await cur.fetchall()}


class FactRows:
    """Column arrays of the fact tables for a set of buyers, filled buyer by buyer."""

    def __init__(self) -> None:
        self.sessions: list[tuple[Any, ...]] = []
        self.violations: list[tuple[Any, ...]] = []
        self.inquiries: list[tuple[Any, ...]] = []
        self.reviews: list[tuple[Any, ...]] = []
        self.states: list[tuple[Any, ...]] = []

    def add(self, key: BuyerKey, facts: BuyerFacts) -> dict[str, Any]:
        """Add the buyer's rows; its compact contributions (the buyer_state document)."""
        shop, buyer = key
        for s in facts.sessions:
            responses = [
                {
                    "question": q.event_id,
                    "response": q.response_event_id,
                    "response_us": q.response_us,
                }
                for q in s.questions
            ]
            score = s.qa.score if s.qa is not None else None
            self.sessions.append(
                (
                    shop,
                    buyer,
                    s.agent_id,
                    s.first_at,
                    s.last_at,
                    s.day,
                    s.closed,
                    s.buyer_messages,
                    s.agent_messages,
                    score,
                    _json(responses),
                )
            )
            for seq, v in enumerate(s.qa.violations if s.qa is not None else ()):
                self.violations.append(
                    (
                        shop,
                        buyer,
                        s.agent_id,
                        s.first_at,
                        seq,
                        s.day,
                        v.rule,
                        v.message_event_id,
                        v.count,
                        v.penalty,
                        v.detail,
                    )
                )
        for c in facts.consultations:
            self.inquiries.append(
                (
                    shop,
                    buyer,
                    c.agent_id,
                    c.day,
                    c.kind,
                    c.status,
                    c.first_buyer_at,
                    c.last_buyer_at,
                    _json(c.order_ids) if c.order_ids else _EMPTY,  # tuples dump as arrays
                )
            )
        for r in facts.reviews:
            self.reviews.append(
                (
                    shop,
                    buyer,
                    r.order_id,
                    r.event_id,
                    r.posted_at,
                    r.day,
                    r.rating,
                    r.text,
                    r.dsr_item,
                    r.dsr_service,
                    r.dsr_logistics,
                    r.placed_at,
                    r.service_agent,
                    r.inquiry_day,
                    _json(list(r.mentions)),
                )
            )
        compact = compact_contributions(facts)
        self.states.append((shop, buyer, facts.wake_at, _json(compact)))
        return compact


def _arrays(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def _delete_statement() -> str:
    """One statement for all fact tables (data-modifying CTEs): one round trip."""
    match = "t.shop_id = k.shop_id AND t.buyer_id = k.buyer_id"
    *first, last = _FACT_TABLES
    ctes = ", ".join(f"d_{t} AS (DELETE FROM {t} t USING k WHERE {match})" for t in first)
    return (
        "WITH k AS (SELECT * FROM unnest(%b::text[], %b::text[]) AS k(shop_id, buyer_id)), "
        f"{ctes} DELETE FROM {last} t USING k WHERE {match}"
    )


_DELETE_FACTS = _delete_statement()


async def delete_facts(*, pg: Pg, keys: Iterable[BuyerKey]) -> None:
    pairs = list(keys)
    if not pairs:
        return
    await pg.execute(_DELETE_FACTS, ([p[0] for p in pairs], [p[1] for p in pairs]))


async def delete_shop(*, pg: Pg, shop_id: str) -> None:
    """Every derived row of one shop (a rescore rebuilds them inside its transaction)."""
    for table in (*_FACT_TABLES, "buyer_state", "agent_daily", "shop_daily", "agent_responses"):
        await pg.execute(f"DELETE FROM {table} WHERE shop_id = %s", (shop_id,))


async def _copy(pg: Pg, target: _CopyTarget, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    async with pg.cursor() as cur:
        # By oid only: the cursor's str values in text columns keep the text dumper.
        cur.adapters.register_dumper(None, _JsonTextBinaryDumper)
        async with cur.copy(target.statement) as copy:
            copy.set_types(target.types)
            for row in rows:
                await copy.write_row(row)


class _Collected(AsyncWriter):
    """COPY data kept in memory instead of sent (psycopg's writer interface)."""

    def __init__(self) -> None:
        self.data = bytearray()

    async def write(self, data: Any) -> None:
        self.data += data


# A COPY statement and its whole binary data (signature to trailer).
CopyData = tuple[str, bytes]


async def copy_data(*, pg: Pg, rows: FactRows) -> list[CopyData]:
    """The facts and buyer states as binary COPY data, formatted here (with the adapters of
    `pg`, which sends nothing) and written later, possibly by another process's connection
    (write_copies): a rescore's worker processes derive, its one transaction writes. The
    buyers must have no buyer_state row yet."""
    tables = (
        (_SESSIONS, rows.sessions),
        (_VIOLATIONS, rows.violations),
        (_INQUIRIES, rows.inquiries),
        (_REVIEWS, rows.reviews),
        (_STATES, rows.states),
    )
    copies: list[CopyData] = []
    for target, table_rows in tables:
        if not table_rows:
            continue
        collected = _Collected()
        async with pg.cursor() as cur:
            cur.adapters.register_dumper(None, _JsonTextBinaryDumper)
            async with AsyncCopy(cur, binary=True, writer=collected) as copy:
                copy.set_types(target.types)
                for row in table_rows:
                    await copy.write_row(row)
        copies.append((target.statement, bytes(collected.data)))
    return copies


async def write_copies(*, pg: Pg, copies: Iterable[CopyData]) -> None:
    """Send COPY data made by copy_data, in the caller's transaction."""
    for statement, data in copies:
        async with pg.cursor() as cur, cur.copy(statement) as copy:
            await copy.write(data)


async def insert_facts(*, pg: Pg, rows: FactRows) -> None:
    """COPY the facts in and upsert buyer_state."""
    await _copy(pg, _SESSIONS, rows.sessions)
    await _copy(pg, _VIOLATIONS, rows.violations)
    await _copy(pg, _INQUIRIES, rows.inquiries)
    await _copy(pg, _REVIEWS, rows.reviews)
    await upsert_states(pg=pg, states=rows.states)


async def upsert_states(*, pg: Pg, states: Sequence[tuple[str, str, datetime | None, str]]) -> None:
    if not states:
        return
    await pg.execute(
        """
        INSERT INTO buyer_state (shop_id, buyer_id, wake_at, contributions, derived_at)
        SELECT s, b, w, c::jsonb, now()
        FROM unnest(%b::text[], %b::text[], %b::timestamptz[], %b::text[]) AS x(s, b, w, c)
        ON CONFLICT (shop_id, buyer_id) DO UPDATE SET
            wake_at = excluded.wake_at, contributions = excluded.contributions,
            derived_at = excluded.derived_at
        """,
        _arrays(states, 4),
    )
