"""Catching up from the raw tables: every stored event is scored, record or no record.

Records of cs.events.v1 only say which buyers to re-derive; the raw tables are the truth,
and ingest stores an event before it forwards it. A record can still go missing between
the two: the broker restarted empty or the topic was recreated before scoring read it,
or ingest stored a batch and died before forwarding it while its input log went too. Such
events are found by the transaction that stored them: every raw row carries ingest_xid,
and shops.raw_covered_xid says that each event of the shop stored by a transaction below
it has been seen by the derivation of every buyer it touches.

A step, inside a batch transaction, for some shops:
 1. `upto` = the xmin of the statement's snapshot: every transaction below it has ended,
    so its rows are visible to every later statement of the batch (and of its reader);
 2. the shops' rows with raw_covered_xid <= ingest_xid < upto, in ingest_xid order, at
    most `limit` per table and shop; a cut falls between two transactions, never inside
    one (a transaction bigger than the limit is read whole);
 3. their buyers, and every buyer of their orders, are re-derived as a record's would be;
 4. raw_covered_xid moves to the cut, committed with the results.
Rows whose records the worker consumed in a committed batch since the shop's last step
(`seen`) are covered already and are skipped (they still count for the cut). So a step
costs one index range scan over what the shop stored since its last step, and derivations
only for what no record brought.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from services.scoring.repository import Pg
from services.scoring.timeline_cache import Arrival
from services.scoring.touches import ShopTouches

Seen = Mapping[str, Collection[str]]  # shop_id → event ids known covered


class _Row(NamedTuple):
    kind: str  # "chat", "order" or "review": the raw table
    xid: int
    event_id: str
    buyer_id: str
    order_id: str | None
    agent_id: str | None


@dataclass(slots=True)
class Uncovered:
    """What a step found: the shops' touches as records would give them, the new
    raw_covered_xid per shop, and the shops with nothing left to cover."""

    touches: dict[str, ShopTouches] = field(default_factory=dict)
    covered: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    events: int = 0  # rows not known covered


_UNCOVERED = """
WITH snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS upto)
SELECT s.shop_id, s.raw_covered_xid, snap.upto,
    e.kind, e.xid, e.event_id, e.buyer_id, e.order_id, e.agent_id
FROM snap CROSS JOIN shops s
LEFT JOIN LATERAL (
    (SELECT 'chat' AS kind, c.ingest_xid AS xid, c.event_id, c.buyer_id,
        NULL::text AS order_id, c.agent_id
     FROM chat_messages c
     WHERE c.shop_id = s.shop_id AND c.ingest_xid >= s.raw_covered_xid
       AND c.ingest_xid < snap.upto
     ORDER BY c.ingest_xid LIMIT %(limit)s)
    UNION ALL
    (SELECT 'order', o.ingest_xid, o.event_id, o.buyer_id, o.order_id, NULL
     FROM order_events o
     WHERE o.shop_id = s.shop_id AND o.ingest_xid >= s.raw_covered_xid
       AND o.ingest_xid < snap.upto
     ORDER BY o.ingest_xid LIMIT %(limit)s)
    UNION ALL
    (SELECT 'review', r.ingest_xid, r.event_id, r.buyer_id, r.order_id, NULL
     FROM review_events r
     WHERE r.shop_id = s.shop_id AND r.ingest_xid >= s.raw_covered_xid
       AND r.ingest_xid < snap.upto
     ORDER BY r.ingest_xid LIMIT %(limit)s)
) e ON true
WHERE s.shop_id = ANY(%(shops)s)
"""

_ONE_TRANSACTION = """
SELECT 'chat', ingest_xid, event_id, buyer_id, NULL::text, agent_id FROM chat_messages
WHERE shop_id = %(shop)s AND ingest_xid = %(xid)s
UNION ALL
SELECT 'order', ingest_xid, event_id, buyer_id, order_id, NULL FROM order_events
WHERE shop_id = %(shop)s AND ingest_xid = %(xid)s
UNION ALL
SELECT 'review', ingest_xid, event_id, buyer_id, order_id, NULL FROM review_events
WHERE shop_id = %(shop)s AND ingest_xid = %(xid)s
"""


async def read_uncovered(
    *, pg: Pg, shop_ids: Collection[str], limit: int, seen: Seen | None = None
) -> Uncovered:
    """One step's rows for the registered shops among `shop_ids` (module docstring)."""
    found = Uncovered()
    if not shop_ids:
        return found
    cur = await pg.execute(_UNCOVERED, {"shops": sorted(shop_ids), "limit": limit})
    by_shop: dict[str, tuple[int, int, list[_Row]]] = {}
    for shop_id, since, upto, *rest in await cur.fetchall():
        entry = by_shop.setdefault(shop_id, (int(since), int(upto), []))
        if rest[0] is not None:
            entry[2].append(_Row(rest[0], int(rest[1]), *rest[2:]))
    for shop_id, (since, upto, rows) in by_shop.items():
        cut, rows = await _cut(pg, shop_id, since, upto, rows, limit)
        if cut > since:
            found.covered[shop_id] = cut
        if cut >= upto:
            found.done.add(shop_id)
        known = seen.get(shop_id, ()) if seen is not None else ()
        touched = found.touches[shop_id] = ShopTouches(shop_id)
        for row in rows:
            if row.event_id not in known:
                _touch(touched, shop_id, row)
        found.events += touched.events
    return found


async def _cut(
    pg: Pg, shop_id: str, since: int, upto: int, rows: list[_Row], limit: int
) -> tuple[int, list[_Row]]:
    """Where this step stops for the shop (exclusive) and the rows below it."""
    if upto <= since:  # another step already went further
        return since, []
    cut = upto
    for kind in ("chat", "order", "review"):
        xids = [r.xid for r in rows if r.kind == kind]
        if len(xids) >= limit:  # more may follow in this table: stop before the last xid
            cut = min(cut, max(xids))
    if cut > since:
        return cut, [r for r in rows if r.xid < cut]
    # One transaction alone fills the limit: take all of it.
    cur = await pg.execute(_ONE_TRANSACTION, {"shop": shop_id, "xid": since})
    return since + 1, [_Row(r[0], int(r[1]), *r[2:]) for r in await cur.fetchall()]


def _touch(touched: ShopTouches, shop_id: str, row: _Row) -> None:
    touched.events += 1
    touched.arrivals.append(Arrival(shop_id, row.event_id, row.buyer_id, row.order_id))
    if row.kind == "review":  # belongs to its order: touches the order's buyers only
        assert row.order_id is not None
        touched.orders.add(row.order_id)
        touched.reviewed.add(row.order_id)
        return
    touched.buyers.add(row.buyer_id)
    if row.order_id is not None:
        touched.orders.add(row.order_id)
    if row.agent_id:
        touched.agents.add(row.agent_id)


def merge(into: dict[str, ShopTouches], extra: Mapping[str, ShopTouches]) -> None:
    """Add a step's touches to a batch's (both name buyers, orders and agents to touch)."""
    for shop_id, more in extra.items():
        touched = into.get(shop_id)
        if touched is None:
            into[shop_id] = more
            continue
        touched.events += more.events
        touched.buyers |= more.buyers
        touched.orders |= more.orders
        touched.agents |= more.agents
        touched.reviewed |= more.reviewed
        touched.arrivals.extend(more.arrivals)


async def store_covered(*, pg: Pg, covered: Mapping[str, int]) -> None:
    """Never moves back (two workers may step a shop during a rebalance)."""
    if not covered:
        return
    await pg.execute(
        """
        UPDATE shops s SET raw_covered_xid = c.xid
        FROM unnest(%b::text[], %b::bigint[]) AS c(shop_id, xid)
        WHERE s.shop_id = c.shop_id AND s.raw_covered_xid < c.xid
        """,
        (list(covered), list(covered.values())),
    )
