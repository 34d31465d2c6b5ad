"""Shop-level reads and writes of the scoring shell: locks, settings, watermarks, agents.

Everything runs on the psycopg connection underneath a SQLAlchemy connection so that
whole batches travel as arrays (`unnest`) in one round trip, inside the caller's
transaction. Nothing here commits: the shell commits a batch with its offsets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from shared.logging import get_logger

log = get_logger(__name__)

Pg = psycopg.AsyncConnection[Any]
BuyerKey = tuple[str, str]  # (shop_id, buyer_id)


async def driver(conn: AsyncConnection) -> Pg:
    """The psycopg connection of a SQLAlchemy connection, in the same transaction."""
    raw = await conn.get_raw_connection()
    pg = raw.driver_connection
    assert isinstance(pg, psycopg.AsyncConnection)
    return pg


@dataclass(frozen=True, slots=True)
class ShopContext:
    shop_id: str
    settings: ShopSettings
    rules: QaRules
    watermark: datetime | None
    # The shop's agents (agent_ids seen on its chat messages): good reviews name them.
    agents: frozenset[str] = frozenset()


async def read_timestamps_in_utc(*, pg: Pg) -> None:
    """For the rest of the transaction, timestamps arrive with the fixed UTC offset
    (datetime.timezone.utc) instead of the server's zone: the same instants, and the
    core's day memo stores a fixed-offset instant without its fold check."""
    await pg.execute("SET LOCAL TimeZone = 'UTC'")


async def lock_shops(*, pg: Pg, shop_ids: Iterable[str]) -> None:
    """Transaction-scoped advisory locks, taken in one fixed order (no deadlocks).

    A rescore takes the same lock, so it never interleaves with a batch of its shop.
    """
    for shop_id in sorted(set(shop_ids)):
        await pg.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (shop_id,))


def _context(
    shop_id: str,
    settings: Any,
    rules: Any,
    watermark: datetime | None,
    agents: list[str] | None = None,
) -> ShopContext:
    try:
        parsed_settings = ShopSettings.from_dict(settings or {})
    except (ValueError, TypeError) as exc:
        # The API validates settings; a bad row must not stall the partition.
        log.error("bad_shop_settings_using_defaults", shop_id=shop_id, error=str(exc))
        parsed_settings = ShopSettings()
    try:
        parsed_rules = QaRules.from_dict(rules or {})
    except (ValueError, TypeError) as exc:
        log.error("bad_qa_rules_using_defaults", shop_id=shop_id, error=str(exc))
        parsed_rules = QaRules()
    return ShopContext(shop_id, parsed_settings, parsed_rules, watermark, frozenset(agents or ()))


async def load_shops(*, pg: Pg, shop_ids: Iterable[str]) -> dict[str, ShopContext]:
    """Settings, QA rules, stored watermark and agents of the registered shops among
    shop_ids."""
    cur = await pg.execute(
        "SELECT s.shop_id, s.settings, s.qa_rules, s.watermark,"
        " ARRAY(SELECT a.agent_id FROM agents a WHERE a.shop_id = s.shop_id)"
        " FROM shops s WHERE s.shop_id = ANY(%s)",
        (list(shop_ids),),
    )
    return {row[0]: _context(*row) for row in await cur.fetchall()}


async def stored_event_times(*, pg: Pg, shop_ids: Iterable[str]) -> dict[str, datetime]:
    """The latest sent_at/occurred_at among the shops' stored raw events.

    Ingest commits every valid event before it forwards it, so this is the watermark over
    every valid event the shop has (SPEC §4), at least the one the consumed records give.
    Reading it from the raw tables (two backward index scans per shop) means a worker
    catching up a backlog derives each buyer under the same watermark as the rest of its
    timeline, which is read from the raw tables too: sessions and inquiries settle once
    instead of closing batch after batch as the records catch up.
    """
    cur = await pg.execute(
        """
        SELECT s.shop_id, GREATEST(
            (SELECT max(c.sent_at) FROM chat_messages c WHERE c.shop_id = s.shop_id),
            (SELECT max(o.occurred_at) FROM order_events o WHERE o.shop_id = s.shop_id),
            (SELECT max(v.posted_at) FROM review_events v WHERE v.shop_id = s.shop_id))
        FROM unnest(%b::text[]) AS s(shop_id)
        """,
        (sorted(set(shop_ids)),),
    )
    return {row[0]: row[1] for row in await cur.fetchall() if row[1] is not None}


def latest(*times: datetime | None) -> datetime | None:
    """The greatest of the given instants that are known (None: none is)."""
    return max((t for t in times if t is not None), default=None)


async def store_watermarks(*, pg: Pg, marks: dict[str, datetime]) -> None:
    """Never moves a watermark back (a re-delivered old batch keeps the newer one)."""
    if not marks:
        return
    await pg.execute(
        """
        UPDATE shops s SET watermark = GREATEST(s.watermark, m.at), updated_at = now()
        FROM unnest(%b::text[], %b::timestamptz[]) AS m(shop_id, at)
        WHERE s.shop_id = m.shop_id AND (s.watermark IS NULL OR s.watermark < m.at)
        """,
        (list(marks), list(marks.values())),
    )


async def upsert_agents(*, pg: Pg, agents: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Register every (shop_id, agent_id) seen; names, groups and mentors come from the API.
    Returns the pairs that were new."""
    pairs = sorted(set(agents))
    if not pairs:
        return set()
    cur = await pg.execute(
        """
        INSERT INTO agents (shop_id, agent_id)
        SELECT * FROM unnest(%b::text[], %b::text[])
        ON CONFLICT (shop_id, agent_id) DO NOTHING
        RETURNING shop_id, agent_id
        """,
        ([p[0] for p in pairs], [p[1] for p in pairs]),
    )
    return {(row[0], row[1]) for row in await cur.fetchall()}
