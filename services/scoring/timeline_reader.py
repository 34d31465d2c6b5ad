"""Where a batch's timelines come from: the worker's cache, topped up from the raw tables.

Without a cache (rescores, tests of the plain path) every timeline is read whole. With
one, the batch's records that some cached timeline lacks are read by primary key and
appended, and only buyers the cache does not hold are read whole (then cached).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.scoring import metrics
from services.scoring.repository import BuyerKey, Pg
from services.scoring.timeline_cache import Arrival, TimelineCache
from services.scoring.timeline_loader import Timeline, load_events, load_timelines


async def top_up(*, pg: Pg, cache: TimelineCache, arrivals: Iterable[Arrival]) -> None:
    """Append to the cached timelines the batch's records they lack, read by primary key."""
    wanted = cache.missing(arrivals)
    if not wanted:
        return
    messages, order_events = await load_events(
        pg=pg,
        chat=[(a.shop_id, a.event_id) for a in wanted if a.order_id is None],
        order=[(a.shop_id, a.event_id) for a in wanted if a.order_id is not None],
    )
    for message in messages:
        cache.add_message(message)
    for event in order_events:
        cache.add_order_event(event)
    metrics.TIMELINE_EVENTS_APPENDED.inc(len(messages) + len(order_events))


async def read_timelines(
    *, pg: Pg, keys: Sequence[BuyerKey], cache: TimelineCache | None = None
) -> dict[BuyerKey, Timeline]:
    """The current timelines of `keys` (in that order): from the cache (topped up first,
    see top_up) where it holds them, read whole and cached otherwise. The caller trims the
    cache once it holds all its timelines (TimelineCache.trim)."""
    if cache is None:
        return await load_timelines(pg=pg, keys=keys)
    found = {key: cache.get(key) for key in keys}
    absent = [key for key, timeline in found.items() if timeline is None]
    loaded = await load_timelines(pg=pg, keys=absent)
    for key, timeline in loaded.items():
        cache.put(key, timeline)
    metrics.TIMELINE_CACHE_HITS.inc(len(keys) - len(absent))
    metrics.TIMELINE_CACHE_MISSES.inc(len(absent))
    return {key: loaded[key] if t is None else t for key, t in found.items()}
