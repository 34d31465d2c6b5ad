"""One chunk of a rescore: its buyers' timelines read, derived by the pure core and
turned into what the rebuild's transaction writes: binary COPY data of the facts and
buyer states, the chunk's rollup sums, and (for the after-batch hooks) its violations.

Everything in a Chunk is plain data, so a chunk derives alike in the rescore's own
process or in a worker process (rescore_pool.py) that sends it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.scoring.core.totals import Totals
from services.scoring.derivation import ViolationRecord, derive_all, violation_record
from services.scoring.facts_store import CopyData, copy_data
from services.scoring.repository import Pg, ShopContext
from services.scoring.timeline_loader import load_timelines


@dataclass(slots=True)
class Chunk:
    copies: list[CopyData]
    deltas: Totals
    buyers: int  # derived
    events: int  # in their timelines (an order's events count for each of its buyers)
    violations: list[ViolationRecord] = field(default_factory=list)


async def derive_chunk(
    *,
    pg: Pg,
    shop: ShopContext,
    watermark: datetime,
    buyers: Sequence[str],
    violations: bool,
) -> Chunk:
    """The buyers (of one shop, with no derived rows yet) derived from their raw events as
    `pg` sees them; `violations`: collect the violation records too."""
    shop_id = shop.shop_id
    timelines = await load_timelines(pg=pg, keys=[(shop_id, b) for b in buyers])
    rows, results = derive_all(timelines, {shop_id: shop}, {shop_id: watermark})
    deltas = Totals()
    records: list[ViolationRecord] = []
    events = 0
    for key, facts in results:
        deltas.add(shop_id, facts.contributions)  # zero rows: add drops them
        events += timelines[key].size
        if violations and (record := violation_record(key[1], facts)) is not None:
            records.append(record)
    copies = await copy_data(pg=pg, rows=rows)
    return Chunk(copies, deltas, len(results), events, records)
