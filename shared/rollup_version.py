"""shops.rollup_version: a per-shop counter that says "what /v1/metrics returns changed".

The API caches metrics responses keyed by (shop, query, rollup_version) and reads the
version with each request's authentication, so a cached answer is never stale as long as
EVERY transaction that changes the inputs of /v1/metrics (agent_daily, shop_daily, an
agent's group or mentor) calls bump_rollup_version in that same transaction: the scoring
batch, the rescore swap, PATCH /v1/agents. Readers see the new data and the new version
together or neither.

The API also keeps each shop's version in memory (services/api/auth/cache.py): a trigger
(migration 0005) NOTIFYs `kefu_api_cache` with the new version in the bumping
transaction, delivered when it commits. An API request's own session records the shops
it bumped in `session.info[BUMPED_SHOPS]`, so that process forgets them right after its
commit, before it answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.schema import shops

# AsyncSession.info key: the shops whose version the session's transaction bumped.
BUMPED_SHOPS = "rollup_version.bumped_shops"


async def bump_rollup_version(
    *, session: AsyncSession | AsyncConnection, shop_ids: Iterable[str]
) -> None:
    """+1 for each shop, in the caller's transaction (no commit). Shops are locked in
    shop_id order, so that concurrent batches touching the same shops cannot deadlock."""
    ids = sorted(set(shop_ids))
    if not ids:
        return
    if isinstance(session, AsyncSession):  # a connection's info outlives the transaction
        session.info.setdefault(BUMPED_SHOPS, set()).update(ids)
    locked = (
        select(shops.c.shop_id)
        .where(shops.c.shop_id.in_(ids))
        .order_by(shops.c.shop_id)
        .with_for_update()
        .subquery()
    )
    await session.execute(
        update(shops)
        .where(shops.c.shop_id == locked.c.shop_id)
        .values(rollup_version=shops.c.rollup_version + 1)
    )
