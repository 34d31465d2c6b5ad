"""Raw-event retention (SPEC §2/§3 `raw_retention_days`): purge what the shop no longer keeps.

The unit is a *dormant buyer*: one whose every raw event (its chat messages, its order
events, the reviews of its orders) lies before the shop's purge horizon, every one of
them already seen by a derivation, that has nothing pending (`wake_at`), and no order it
shares with another buyer. Such a buyer's raw rows are deleted with its `buyer_state`
row; its results (the sessions, inquiries, violations and order_reviews rows) and its
share of the daily rollups are kept.

    horizon = now − raw_retention_days − interaction margin

The margin is the longest reach one event has over another under the shop's settings
(attribution window, after-sale look-back, reminder window, session gap). Ingest refuses
events older than the retention, so anything a dormant buyer sends later lies more than
the margin after every purged event: deriving it alone gives what deriving it with the
purged history would give for those events, and since the buyer has no stored
contributions any more, its first derivation simply adds them to the rollups. The one
exceptions are written in docs/operations.md ("Raw-event retention"): an order event or
a review that arrives for an order whose events were purged, and an old review naming an
agent who first appears after the purge.

A rescore recomputes a shop from the raw events that remain: see docs/operations.md.
Each purge of a shop is recorded in `raw_purges` (migration 0012) and shown by
GET /admin/pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.settings import ShopSettings
from services.scoring.repository import BuyerKey, Pg, lock_shops

INTERVAL_S = 3600.0  # how often a worker purges the shops it owns
MAX_BUYERS = 20_000  # dormant buyers purged per shop and run


def horizon(settings: ShopSettings, now: datetime) -> datetime:
    """Raw events of dormant buyers before this instant are purged (module docstring)."""
    margin = max(
        settings.attribution_window_seconds,
        settings.aftersale_lookback_days * 86400,
        settings.reminder_window_seconds,
        settings.session_gap_seconds,
    )
    return now - timedelta(days=settings.raw_retention_days, seconds=margin)


@dataclass(frozen=True, slots=True)
class Purged:
    shop_id: str
    before: datetime
    buyers: list[str]
    chat_rows: int
    order_rows: int
    review_rows: int


# Candidates come from the raw tables' (shop, time) indexes: buyers with an event before
# the horizon. A run takes at most MAX_BUYERS of them (the shop's lock is held meanwhile);
# the next run takes the rest.
_DORMANT = """
WITH candidates AS (
  SELECT DISTINCT buyer_id FROM (
    SELECT buyer_id FROM chat_messages WHERE shop_id = %(s)s AND sent_at < %(before)s
    UNION ALL
    SELECT buyer_id FROM order_events WHERE shop_id = %(s)s AND occurred_at < %(before)s
    UNION ALL
    SELECT o.buyer_id FROM review_events r JOIN order_events o
      ON o.shop_id = r.shop_id AND o.order_id = r.order_id
    WHERE r.shop_id = %(s)s AND r.posted_at < %(before)s
  ) old
)
SELECT b.buyer_id FROM candidates k
JOIN buyer_state b ON b.shop_id = %(s)s AND b.buyer_id = k.buyer_id
JOIN shops s ON s.shop_id = b.shop_id
WHERE (b.wake_at IS NULL OR b.wake_at < %(before)s)
  AND NOT EXISTS (
    SELECT FROM chat_messages c WHERE c.shop_id = b.shop_id AND c.buyer_id = b.buyer_id
      AND (c.sent_at >= %(before)s OR c.ingest_xid >= s.raw_covered_xid))
  AND NOT EXISTS (
    SELECT FROM order_events o JOIN order_events t
      ON t.shop_id = o.shop_id AND t.order_id = o.order_id
    WHERE o.shop_id = b.shop_id AND o.buyer_id = b.buyer_id
      AND (t.occurred_at >= %(before)s OR t.ingest_xid >= s.raw_covered_xid
           OR t.buyer_id <> b.buyer_id))
  AND NOT EXISTS (
    SELECT FROM order_events o JOIN review_events r
      ON r.shop_id = o.shop_id AND r.order_id = o.order_id
    WHERE o.shop_id = b.shop_id AND o.buyer_id = b.buyer_id
      AND (r.posted_at >= %(before)s OR r.ingest_xid >= s.raw_covered_xid))
ORDER BY b.buyer_id
LIMIT %(limit)s
"""


# The reviews of the buyers' orders (reviews belong to orders), before the orders go.
_DELETE_REVIEWS = """
DELETE FROM review_events r WHERE r.shop_id = %s AND r.order_id IN (
  SELECT o.order_id FROM order_events o WHERE o.shop_id = %s AND o.buyer_id = ANY(%s))
"""


# Reviews of orders no event places (no timeline holds them) past the horizon and seen.
_DELETE_ORPHAN_REVIEWS = """
DELETE FROM review_events r USING shops s
WHERE r.shop_id = %(s)s AND s.shop_id = r.shop_id AND r.posted_at < %(before)s
  AND r.ingest_xid < s.raw_covered_xid
  AND NOT EXISTS (
    SELECT FROM order_events o WHERE o.shop_id = r.shop_id AND o.order_id = r.order_id)
"""


async def _deleted(pg: Pg, table: str, shop_id: str, buyers: list[str]) -> int:
    cur = await pg.execute(
        f"DELETE FROM {table} WHERE shop_id = %s AND buyer_id = ANY(%s)", (shop_id, buyers)
    )
    return cur.rowcount


async def purge_shop(*, pg: Pg, shop_id: str, settings: ShopSettings, now: datetime) -> Purged:
    """One shop's purge in the caller's transaction, under the shop's lock (no batch of
    the shop runs meanwhile); recorded in raw_purges when it purged anything."""
    await lock_shops(pg=pg, shop_ids=[shop_id])
    before = horizon(settings, now)
    cur = await pg.execute(_DORMANT, {"s": shop_id, "before": before, "limit": MAX_BUYERS})
    buyers = [row[0] for row in await cur.fetchall()]
    cur = await pg.execute(_DELETE_ORPHAN_REVIEWS, {"s": shop_id, "before": before})
    review_rows = cur.rowcount
    if not buyers and not review_rows:
        return Purged(shop_id, before, [], 0, 0, 0)
    chat_rows = await _deleted(pg, "chat_messages", shop_id, buyers)
    cur = await pg.execute(_DELETE_REVIEWS, (shop_id, shop_id, buyers))
    review_rows += cur.rowcount
    order_rows = await _deleted(pg, "order_events", shop_id, buyers)
    await _deleted(pg, "buyer_state", shop_id, buyers)
    await pg.execute(
        "INSERT INTO raw_purges"
        " (shop_id, purged_at, before, buyers, chat_rows, order_rows, review_rows)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (shop_id, now, before, len(buyers), chat_rows, order_rows, review_rows),
    )
    return Purged(shop_id, before, buyers, chat_rows, order_rows, review_rows)


def purged_keys(purged: Purged) -> list[BuyerKey]:
    return [(purged.shop_id, buyer) for buyer in purged.buyers]
