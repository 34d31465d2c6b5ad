"""One batch of cs.events.v1 records → results and offsets, in one transaction.

Per batch: read what the records touch, lock their shops, advance the watermarks,
register agents, collect the buyers to re-derive (the records' buyers, every buyer of any
touched order, and buyers whose wake_at the new watermark passed), re-derive them, and
store the partitions' next offsets. The caller commits once.

A batch may also (or only) carry a catch-up step for some shops (catch_up.py): their
stored events that no consumed record covered join the touches, and the shops'
raw_covered_xid moves with the results.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.violations import ViolationReport
from services.scoring.catch_up import Seen, Uncovered, merge, read_uncovered, store_covered
from services.scoring.hooks import AfterBatch
from services.scoring.input_memo import InputMemo, Inputs
from services.scoring.offsets import store_offsets
from services.scoring.rederive import Derived, rederive
from services.scoring.repository import (
    BuyerKey,
    Pg,
    ShopContext,
    driver,
    latest,
    load_shops,
    lock_shops,
    read_timestamps_in_utc,
    store_watermarks,
    stored_event_times,
    upsert_agents,
)
from services.scoring.timeline_cache import Arrival, TimelineCache
from services.scoring.timeline_loader import buyers_of_orders, orders_naming, waking_buyers
from services.scoring.touches import ShopTouches, read_touches
from shared.logging import get_logger
from shared.rollup_version import bump_rollup_version

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CatchUp:
    """A catch-up step to run in a batch (catch_up.py)."""

    shop_ids: Collection[str]
    limit: int = 20_000  # rows per table and shop
    seen: Seen = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BatchResult:
    records: int
    events: int
    buyers: int
    timeline_events: int
    unchanged: int = 0  # touched buyers whose stored results already matched
    # Inputs of the derivations written; InputMemo.remember them once committed.
    inputs: tuple[tuple[BuyerKey, Inputs], ...] = ()
    # The records' events (covered once committed) and the catch-up's outcome.
    arrivals: Sequence[Arrival] = ()
    caught_up: frozenset[str] = frozenset()  # shops with nothing left to catch up
    catch_up_events: int = 0  # stored events the catch-up found that no record covered


def _watermarks(
    touches: Mapping[str, ShopTouches],
    shops: Mapping[str, ShopContext],
    raw: Mapping[str, datetime],
) -> dict[str, datetime]:
    """Per shop: the greatest of the stored watermark, the records' event times and the
    stored raw events' (never moves back)."""
    marks: dict[str, datetime] = {}
    for shop_id, touched in touches.items():
        mark = latest(shops[shop_id].watermark, touched.max_event_at, raw.get(shop_id))
        if mark is not None:
            marks[shop_id] = mark
    return marks


async def _touched_buyers(
    pg: Pg, touches: Mapping[str, ShopTouches], marks: dict[str, datetime]
) -> set[BuyerKey]:
    keys = {(shop, buyer) for shop, t in touches.items() for buyer in t.buyers}
    orders = [(shop, order) for shop, t in touches.items() for order in t.orders]
    keys |= await buyers_of_orders(pg=pg, orders=orders)
    keys |= await waking_buyers(pg=pg, marks=marks)
    return keys


async def _with_agents(
    pg: Pg, touches: Mapping[str, ShopTouches], shops: dict[str, ShopContext]
) -> set[BuyerKey]:
    """Register the batch's agents and give each shop context its whole agent set; the
    buyers of the orders whose good reviews name an agent seen for the first time (their
    mentions change, SPEC §11)."""
    new = await upsert_agents(pg=pg, agents=[(s, a) for s, t in touches.items() for a in t.agents])
    for shop_id, touched in touches.items():
        if touched.agents - shops[shop_id].agents:
            shops[shop_id] = replace(shops[shop_id], agents=shops[shop_id].agents | touched.agents)
    by_shop: dict[str, set[str]] = {}
    for shop_id, agent in new:
        by_shop.setdefault(shop_id, set()).add(agent)
    orders: set[tuple[str, str]] = set()
    for shop_id, agents in sorted(by_shop.items()):
        orders |= await orders_naming(pg=pg, shop_id=shop_id, agents=frozenset(agents))
    return await buyers_of_orders(pg=pg, orders=orders)


async def _after_rollups(
    conn: AsyncConnection, shop_ids: set[str], derived: Derived, hooks: Sequence[AfterBatch]
) -> None:
    """In the batch's transaction: tell the metrics cache the numbers moved, then run the
    after-batch hooks (alert evaluation) for every shop of the batch."""
    changed: dict[str, set[tuple[str, date]]] = {}
    # A response time can move with no count or sum moving (SPEC §11 percentiles).
    for shop, agent, day in (*derived.deltas.agent_days, *derived.deltas.spreads):
        changed.setdefault(shop, set()).add((agent, day))
    moved = set(changed) | {shop for shop, _ in derived.deltas.shop_days}
    await bump_rollup_version(session=conn, shop_ids=moved)
    now = datetime.now(UTC)
    for shop_id in sorted(shop_ids | moved):  # a catch-up can move shops no record named
        for hook in hooks:
            await hook(
                session=conn,
                shop_id=shop_id,
                changed_agent_days=changed.get(shop_id, set()),
                violations=ViolationReport(tuple(derived.violations.get(shop_id, ()))),
                review_notices=derived.reviews.get(shop_id, []),
                now=now,
            )


async def process_records(
    *,
    conn: AsyncConnection,
    group_id: str,
    records: Mapping[TopicPartition, Sequence[ConsumerRecord]],  # type: ignore[type-arg]
    memo: InputMemo | None = None,
    cache: TimelineCache | None = None,
    reader: AsyncConnection | None = None,
    logs: Mapping[TopicPartition, str | None] | None = None,
    catch_up: CatchUp | None = None,
    after_batch: Sequence[AfterBatch] = (),
) -> BatchResult:
    """`reader`: a second connection for the batch's reads, so that Postgres reads the
    next buyers while this transaction writes the last ones (rederive.py). `logs`: the id
    of the log each partition's records were read from, stored with its offset.
    `after_batch`: hooks run in the transaction once the rollups are written (hooks.py)."""
    pg = await driver(conn)
    read_pg = None if reader is None else await driver(reader)
    touches = read_touches(records)
    arrivals = [a for t in touches.values() for a in t.arrivals]
    await read_timestamps_in_utc(pg=pg)
    if read_pg is not None:
        await read_timestamps_in_utc(pg=read_pg)
    stepped = set(catch_up.shop_ids) if catch_up is not None else set()
    await lock_shops(pg=pg, shop_ids=set(touches) | stepped)
    shops = await load_shops(pg=pg, shop_ids=set(touches) | stepped)
    for unknown in sorted(set(touches) - set(shops)):
        log.warning(
            "events_of_unregistered_shop_skipped", shop_id=unknown, events=touches[unknown].events
        )
        del touches[unknown]
    events = sum(t.events for t in touches.values())
    uncovered = Uncovered()
    if catch_up is not None:
        uncovered = await read_uncovered(
            pg=pg, shop_ids=stepped & set(shops), limit=catch_up.limit, seen=catch_up.seen
        )
        merge(touches, uncovered.touches)
    marks = _watermarks(touches, shops, await stored_event_times(pg=pg, shop_ids=touches))
    await store_watermarks(pg=pg, marks=marks)
    named = await _with_agents(pg, touches, shops)
    if memo is not None:
        memo.forget(named)
    if cache is not None:
        for shop_id, touched in touches.items():
            for order_id in touched.reviewed:
                cache.evict_order(shop_id, order_id)
    keys = await _touched_buyers(pg, touches, marks) | named
    derived = await rederive(
        pg=pg,
        keys=keys,
        shops=shops,
        marks=marks,
        memo=memo,
        cache=cache,
        arrivals=[a for t in touches.values() for a in t.arrivals],
        reader=read_pg,
    )
    await _after_rollups(conn, set(touches), derived, after_batch)
    positions = {tp: recs[-1].offset + 1 for tp, recs in records.items() if recs}
    await store_offsets(pg=pg, group_id=group_id, positions=positions, logs=logs)
    await store_covered(pg=pg, covered=uncovered.covered)
    return BatchResult(
        records=sum(map(len, records.values())),
        events=events,
        buyers=derived.buyers,
        timeline_events=derived.events,
        unchanged=derived.unchanged,
        inputs=tuple(derived.inputs),
        arrivals=arrivals,
        caught_up=frozenset(uncovered.done | (stepped - set(shops))),
        catch_up_events=uncovered.events,
    )
