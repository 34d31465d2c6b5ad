"""Re-derive a set of buyers from their raw timelines and store the results.

This is the whole incremental algorithm: for every touched buyer, derive its facts from
scratch with the pure core, add (new - stored) contributions to the daily rollups, and
replace its drill-down facts and buyer_state. Re-deriving is idempotent, which is what
makes re-delivered batches, crashes and rebalances harmless.

The buyers go through in chunks, as a pipeline: while Python derives chunk i, Postgres
reads chunk i+1 (on the reader connection) and writes chunk i-1 (in the batch's
transaction). The chunks hold distinct buyers, and the shop's advisory lock (held by the
batch) keeps every other writer of buyer_state away, so a read on the reader connection
sees exactly what the transaction would. Rollup deltas are summed over all chunks and
applied at the end, in one statement per table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from domain.review_notices import ReviewNotice
from domain.violations import BuyerViolations
from services.scoring.contributions_json import Stored, stored_diff
from services.scoring.derivation import buyer_violations, changed, derive_one, review_notices
from services.scoring.facts_store import FactRows, delete_facts, insert_facts, load_stored
from services.scoring.input_memo import InputMemo, Inputs
from services.scoring.lane import Lane
from services.scoring.repository import BuyerKey, Pg, ShopContext
from services.scoring.rollups import RollupDeltas, apply_deltas
from services.scoring.timeline_cache import Arrival, TimelineCache
from services.scoring.timeline_loader import Timeline
from services.scoring.timeline_reader import read_timelines, top_up

CHUNK_BUYERS = 500  # buyers per pipeline step: several steps per batch, so that they overlap
YIELD_EVERY = 50  # derivations between chances for the reads and writes in flight to move


@dataclass(slots=True)
class Derived:
    """What a set of re-derived buyers produced (the facts are written as it goes)."""

    buyers: int = 0
    events: int = 0
    # The rollup differences applied, for alert evaluation and the metrics cache.
    deltas: RollupDeltas = field(default_factory=RollupDeltas)
    # The re-derived buyers' violations, by shop: the alerts hook notifies the new ones
    # and withdraws the notified ones gone (its ledger, by violation identity).
    violations: dict[str, list[BuyerViolations]] = field(default_factory=dict)
    # Reviewed orders whose review is bad or replaced bad ones (review.bad, withdrawn).
    reviews: dict[str, list[ReviewNotice]] = field(default_factory=dict)
    # Buyers whose stored results already matched their inputs (not re-derived).
    unchanged: int = 0
    # The inputs of every derivation written: the memo learns them once committed.
    inputs: list[tuple[BuyerKey, Inputs]] = field(default_factory=list)


@dataclass(slots=True)
class _Chunk:
    """A chunk's buyers to derive, with what their derivation needs."""

    timelines: dict[BuyerKey, Timeline]  # the ones the memo could not vouch for
    digests: dict[BuyerKey, bytes]
    stored: dict[BuyerKey, Stored]  # their stored contributions (none: first time)
    unchanged: int


@dataclass(slots=True)
class _Context:
    shops: dict[str, ShopContext]
    marks: dict[str, datetime]
    memo: InputMemo | None
    cache: TimelineCache | None


async def _load(keys: list[BuyerKey], reads: Lane, ctx: _Context) -> _Chunk:
    async with reads.turn() as pg:
        loaded = await read_timelines(pg=pg, keys=keys, cache=ctx.cache)
    timelines, digests = changed(loaded, ctx.shops, ctx.marks, ctx.memo)
    async with reads.turn() as pg:
        stored = await load_stored(pg=pg, keys=timelines)
    return _Chunk(timelines, digests, stored, len(loaded) - len(timelines))


async def _derive(
    chunk: _Chunk, ctx: _Context, derived: Derived
) -> tuple[FactRows, list[BuyerKey]]:
    """Derive the chunk into `derived`; the fact rows to write and the buyers whose old
    facts go first."""
    rows, replaced = FactRows(), []
    derived.unchanged += chunk.unchanged
    for n, (key, timeline) in enumerate(chunk.timelines.items()):
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let the other chunks' statements go on
        shop = ctx.shops[key[0]]
        facts = derive_one(key, timeline, shop, ctx.marks[key[0]])
        if facts is None:
            continue
        compact = rows.add(key, facts)
        derived.buyers += 1
        derived.events += timeline.size
        derived.inputs.append(
            (key, Inputs(chunk.digests[key], shop.settings, shop.rules, facts.wake_at))
        )
        derived.deltas.add(key[0], stored_diff(facts, compact, chunk.stored.get(key)))
        derived.violations.setdefault(key[0], []).append(buyer_violations(key[1], facts))
        if facts.reviews:
            bad = review_notices(key[1], facts)
            if bad:
                derived.reviews.setdefault(key[0], []).extend(bad)
        # Facts are only ever written together with buyer_state (and a rescore deletes
        # both), so a buyer without stored state has no facts to delete: its first time.
        if key in chunk.stored:
            replaced.append(key)
    return rows, replaced


async def _write(rows: FactRows, replaced: list[BuyerKey], writes: Lane) -> None:
    async with writes.turn() as pg:
        await delete_facts(pg=pg, keys=replaced)
        await insert_facts(pg=pg, rows=rows)


async def _pipeline(
    chunks: list[list[BuyerKey]], reads: Lane, writes: Lane, ctx: _Context, derived: Derived
) -> None:
    """Load chunk i+1 and write chunk i-1 while chunk i is derived."""
    if not chunks:
        return
    async with asyncio.TaskGroup() as tasks:
        load = tasks.create_task(_load(chunks[0], reads, ctx))
        write: asyncio.Task[None] | None = None
        for i in range(len(chunks)):
            chunk = await load
            if i + 1 < len(chunks):
                load = tasks.create_task(_load(chunks[i + 1], reads, ctx))
            rows, replaced = await _derive(chunk, ctx, derived)
            if ctx.cache is not None:  # a big batch's timelines never all stay in memory
                ctx.cache.trim()
            if write is not None:
                await write  # one chunk's writes at a time, in order
            write = tasks.create_task(_write(rows, replaced, writes))


async def rederive(
    *,
    pg: Pg,
    keys: Collection[BuyerKey],
    shops: dict[str, ShopContext],
    marks: dict[str, datetime],
    memo: InputMemo | None = None,
    cache: TimelineCache | None = None,
    arrivals: Iterable[Arrival] = (),
    reader: Pg | None = None,
) -> Derived:
    """Re-derive `keys` under the shops' new watermarks `marks` and write everything.

    With a memo, buyers whose inputs are those of their last committed derivation (and
    whose wake_at the watermark has not passed) are left as they are: same rows. With a
    cache, timelines come from it, topped up with the batch's `arrivals`. With a `reader`
    connection (outside the transaction), reads overlap the writes."""
    ordered = sorted(k for k in keys if k[0] in shops and k[0] in marks)
    writes = Lane(pg)
    reads = writes if reader is None else Lane(reader)
    ctx = _Context(shops, marks, memo, cache)
    if cache is not None:
        await top_up(pg=reads.pg, cache=cache, arrivals=arrivals)
    chunks = [ordered[i : i + CHUNK_BUYERS] for i in range(0, len(ordered), CHUNK_BUYERS)]
    derived = Derived()
    try:
        await _pipeline(chunks, reads, writes, ctx, derived)
    except ExceptionGroup as failed:  # the first failure; any other came with it
        raise failed.exceptions[0] from failed
    if cache is not None:
        cache.trim()  # after the lookups: this batch's timelines are all in hand
    await apply_deltas(pg=pg, deltas=derived.deltas)
    return derived
