"""A buyer's stored derivation: drill-down facts (sessions, violations, inquiries) and
buyer_state (its last rollup contributions and when to wake it).

Facts are replaced wholesale per buyer (delete by (shop_id, buyer_id), then insert), so
re-deriving a buyer twice leaves exactly one copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from psycopg.types.json import set_json_loads

from services.scoring.core.contributions import contributions_from_json, contributions_to_json
from services.scoring.core.facts import BuyerFacts, Contributions
from services.scoring.repository import BuyerKey, Pg

_FACT_TABLES = ("sessions", "violations", "inquiries")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def load_contributions(*, pg: Pg, keys: Iterable[BuyerKey]) -> dict[BuyerKey, Contributions]:
    pairs = list(keys)
    if not pairs:
        return {}
    set_json_loads(orjson.loads, pg)  # the stdlib decoder is several times slower
    cur = await pg.execute(
        """
        SELECT b.shop_id, b.buyer_id, b.contributions
        FROM unnest(%b::text[], %b::text[]) AS k(shop_id, buyer_id)
        JOIN buyer_state b ON b.shop_id = k.shop_id AND b.buyer_id = k.buyer_id
        """,
        ([p[0] for p in pairs], [p[1] for p in pairs]),
    )
    return {(r[0], r[1]): contributions_from_json(r[2]) for r in await cur.fetchall()}


class FactRows:
    """Column arrays of the fact tables for a set of buyers, filled buyer by buyer."""

    def __init__(self) -> None:
        self.sessions: list[tuple[Any, ...]] = []
        self.violations: list[tuple[Any, ...]] = []
        self.inquiries: list[tuple[Any, ...]] = []
        self.states: list[tuple[Any, ...]] = []

    def add(self, key: BuyerKey, facts: BuyerFacts, senders: dict[str, str]) -> None:
        shop, buyer = key
        for s in facts.sessions:
            buyers_n = sum(senders.get(m) == "buyer" for m in s.message_ids)
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
                    buyers_n,
                    len(s.message_ids) - buyers_n,
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
                    _json(list(c.order_ids)),
                )
            )
        self.states.append((shop, buyer, facts.wake_at, _json(contributions_to_json(facts))))


def _arrays(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


async def delete_facts(*, pg: Pg, keys: Iterable[BuyerKey]) -> None:
    pairs = list(keys)
    if not pairs:
        return
    params = ([p[0] for p in pairs], [p[1] for p in pairs])
    for table in _FACT_TABLES:
        await pg.execute(
            f"""
            DELETE FROM {table} t USING unnest(%b::text[], %b::text[]) AS k(shop_id, buyer_id)
            WHERE t.shop_id = k.shop_id AND t.buyer_id = k.buyer_id
            """,
            params,
        )


async def delete_shop(*, pg: Pg, shop_id: str) -> None:
    """Every derived row of one shop (a rescore rebuilds them inside its transaction)."""
    for table in (*_FACT_TABLES, "buyer_state", "agent_daily", "shop_daily"):
        await pg.execute(f"DELETE FROM {table} WHERE shop_id = %s", (shop_id,))


async def insert_facts(*, pg: Pg, rows: FactRows) -> None:
    """Insert the facts and upsert buyer_state: one statement per table."""
    if rows.sessions:
        await pg.execute(
            """
            INSERT INTO sessions (shop_id, buyer_id, agent_id, started_at, ended_at, day, closed,
                                  buyer_messages, agent_messages, qa_score, responses)
            SELECT s, b, a, st, en, d, c, bm, am, q, r::jsonb FROM unnest(
                %b::text[], %b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[],
                %b::date[], %b::bool[], %b::int[], %b::int[], %b::int[], %b::text[])
                AS x(s, b, a, st, en, d, c, bm, am, q, r)
            """,
            _arrays(rows.sessions, 11),
        )
    if rows.violations:
        await pg.execute(
            """
            INSERT INTO violations (shop_id, buyer_id, agent_id, session_started_at, seq, day,
                                    rule, message_event_id, occurrences, penalty, detail)
            SELECT * FROM unnest(
                %b::text[], %b::text[], %b::text[], %b::timestamptz[], %b::int[], %b::date[],
                %b::text[], %b::text[], %b::int[], %b::int[], %b::text[])
            """,
            _arrays(rows.violations, 11),
        )
    if rows.inquiries:
        await pg.execute(
            """
            INSERT INTO inquiries (shop_id, buyer_id, agent_id, day, kind, status,
                                   first_buyer_at, last_buyer_at, order_ids)
            SELECT s, b, a, d, k, st, f, l, o::jsonb FROM unnest(
                %b::text[], %b::text[], %b::text[], %b::date[], %b::text[], %b::text[],
                %b::timestamptz[], %b::timestamptz[], %b::text[])
                AS x(s, b, a, d, k, st, f, l, o)
            """,
            _arrays(rows.inquiries, 9),
        )
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
