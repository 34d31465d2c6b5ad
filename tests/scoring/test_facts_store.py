"""facts_store against a real Postgres: COPY stores every column as given, the one-statement
delete removes exactly the given buyers' facts, and buyer_state contributions round-trip."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.parts import AgentDayParts, ShopDayParts
from services.scoring.contributions_json import compact_contributions
from services.scoring.core.contributions import contributions_from_json
from services.scoring.core.facts import Contributions
from services.scoring.facts_store import (
    FactRows,
    delete_facts,
    insert_facts,
    load_stored,
    upsert_states,
)
from services.scoring.repository import driver

SHOP = "shop-facts"
T = datetime(2026, 11, 11, 3, 4, 5, 678901, tzinfo=UTC)
DAY = date(2026, 11, 11)
# Text COPY would need these escaped; binary COPY must carry them as they are.
ODD = "tab\there, new\nline, back\\slash, 中文, emoji 🙂, quote \" and '"


def _rows(buyer: str) -> FactRows:
    rows = FactRows()
    responses = [{"question": "q1", "response": None, "response_us": None}, {"question": ODD}]
    rows.sessions += [
        (SHOP, buyer, "a1", T, T, DAY, True, 3, 2, 87, orjson.dumps(responses).decode()),
        (SHOP, buyer, ODD, T.replace(hour=9), T.replace(hour=10), DAY, False, 0, 1, None, "[]"),
    ]
    rows.violations += [
        (SHOP, buyer, "a1", T, 0, DAY, "slow_reply", "m1", 2, 5, None),
        (SHOP, buyer, "a1", T, 1, DAY, "forbidden_words", None, 1, 10, ODD),
    ]
    rows.inquiries += [
        (SHOP, buyer, "a1", DAY, "presale", "lost", T, T, '["o1", "o\\t2"]'),
        (SHOP, buyer, ODD, DAY, "aftersale", None, T, T, "[]"),
    ]
    return rows


async def _table(db: AsyncConnection, sql: str) -> list[tuple[Any, ...]]:
    pg = await driver(db)
    cur = await pg.execute(sql, (SHOP,))
    return list(await cur.fetchall())


def _parsed(rows: list[tuple[Any, ...]], json_column: int | None) -> list[tuple[Any, ...]]:
    if json_column is None:
        return sorted(rows, key=repr)
    return sorted(
        ((*r[:json_column], orjson.loads(r[json_column]), *r[json_column + 1 :]) for r in rows),
        key=repr,
    )


async def test_copy_stores_every_column_and_delete_takes_only_given_buyers(
    db: AsyncConnection,
) -> None:
    pg = await driver(db)
    written = {buyer: _rows(buyer) for buyer in ("b1", "b2")}
    for rows in written.values():
        await insert_facts(pg=pg, rows=rows)
    await delete_facts(pg=pg, keys=[(SHOP, "b1"), (SHOP, "never-stored")])

    sessions = await _table(
        db,
        "SELECT shop_id, buyer_id, agent_id, started_at, ended_at, day, closed, buyer_messages,"
        " agent_messages, qa_score, responses FROM sessions WHERE shop_id = %s",
    )
    violations = await _table(
        db,
        "SELECT shop_id, buyer_id, agent_id, session_started_at, seq, day, rule,"
        " message_event_id, occurrences, penalty, detail FROM violations WHERE shop_id = %s",
    )
    inquiries = await _table(
        db,
        "SELECT shop_id, buyer_id, agent_id, day, kind, status, first_buyer_at, last_buyer_at,"
        " order_ids FROM inquiries WHERE shop_id = %s",
    )
    kept = written["b2"]
    assert sorted(sessions, key=repr) == _parsed(kept.sessions, 10)
    assert sorted(violations, key=repr) == _parsed(kept.violations, None)
    assert sorted(inquiries, key=repr) == _parsed(kept.inquiries, 8)


async def test_contributions_round_trip_through_buyer_state(db: AsyncConnection) -> None:
    pg = await driver(db)
    await pg.execute("INSERT INTO shops (shop_id, name) VALUES (%s, %s)", (SHOP, SHOP))
    contributions = Contributions(
        {
            ("a1", DAY): AgentDayParts(consultations=2, sales_amount=Decimal("19.90")),
            (ODD, DAY): AgentDayParts(buyer_messages=1, refund_amount=Decimal("0.00")),
        },
        {DAY: ShopDayParts(placed_orders=1, sales_total=Decimal("19.9"))},
    )
    state = orjson.dumps(compact_contributions(contributions)).decode()
    await upsert_states(pg=pg, states=[(SHOP, "b1", T, state), (SHOP, "b2", None, state)])
    await upsert_states(pg=pg, states=[(SHOP, "b2", T, '{"agent_days": [], "shop_days": []}')])

    stored = await load_stored(pg=pg, keys=[(SHOP, "b1"), (SHOP, "b2"), (SHOP, "b3")])
    loaded = {key: contributions_from_json(document) for key, document in stored.items()}

    assert set(loaded) == {(SHOP, "b1"), (SHOP, "b2")}
    assert loaded[(SHOP, "b1")] == contributions
    assert loaded[(SHOP, "b1")].agent_days[(ODD, DAY)].refund_amount.as_tuple().exponent == -2
    assert loaded[(SHOP, "b2")] == Contributions()
