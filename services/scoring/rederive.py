"""Re-derive a set of buyers from their raw timelines and store the results.

This is the whole incremental algorithm: for every touched buyer, derive its facts from
scratch with the pure core, add (new - stored) contributions to the daily rollups, and
replace its drill-down facts and buyer_state. Re-deriving is idempotent, which is what
makes re-delivered batches, crashes and rebalances harmless.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from services.alerts.notices import ViolationNotice
from services.scoring.core.contributions import diff
from services.scoring.core.derive import derive_buyer
from services.scoring.core.facts import BuyerFacts
from services.scoring.facts_store import (
    FactRows,
    delete_facts,
    insert_facts,
    load_contributions,
)
from services.scoring.input_memo import InputMemo, Inputs, digest
from services.scoring.repository import BuyerKey, Pg, ShopContext
from services.scoring.rollups import RollupDeltas, apply_deltas
from services.scoring.timeline_cache import Arrival, TimelineCache
from services.scoring.timeline_loader import Timeline
from services.scoring.timeline_reader import read_timelines
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(slots=True)
class Derived:
    """What a set of re-derived buyers produced, before it is written."""

    facts: FactRows
    buyers: int = 0
    events: int = 0
    # The rollup differences applied, for alert evaluation and the metrics cache.
    deltas: RollupDeltas = field(default_factory=RollupDeltas)
    # Violations of rules with notify on, by shop: alerts dedupe them by a stable id.
    notices: dict[str, list[ViolationNotice]] = field(default_factory=dict)
    # Buyers whose stored results already matched their inputs (not re-derived).
    unchanged: int = 0
    # The inputs of every derivation written: the memo learns them once committed.
    inputs: list[tuple[BuyerKey, Inputs]] = field(default_factory=list)


def derive_timeline(
    key: BuyerKey, timeline: Timeline, shop: ShopContext, watermark: datetime
) -> BuyerFacts:
    return derive_buyer(
        timeline.messages,
        timeline.order_events,
        shop.settings,
        shop.rules,
        watermark,
        buyer_id=key[1],
    )


def derive_all(
    timelines: dict[BuyerKey, Timeline],
    shops: dict[str, ShopContext],
    marks: dict[str, datetime],
) -> tuple[Derived, list[tuple[BuyerKey, BuyerFacts]]]:
    derived = Derived(FactRows())
    results: list[tuple[BuyerKey, BuyerFacts]] = []
    for key, timeline in timelines.items():
        try:
            facts = derive_timeline(key, timeline, shops[key[0]], marks[key[0]])
        except Exception:
            # One buyer the core cannot derive must not stall its partition: its stored
            # results stay as they were, and a later event or a rescore retries it.
            log.exception("buyer_derivation_failed", shop_id=key[0], buyer_id=key[1])
            continue
        derived.facts.add(key, facts)
        derived.buyers += 1
        derived.events += timeline.size
        results.append((key, facts))
    return derived, results


def notify_worthy(buyer_id: str, facts: BuyerFacts) -> list[ViolationNotice]:
    """The buyer's violations under rules with notify on (SPEC §8 qa.violation)."""
    return [
        ViolationNotice(
            agent_id=s.agent_id,
            buyer_id=buyer_id,
            session_started_at=s.first_at,
            day=s.day,
            rule=v.rule,
            message_event_id=v.message_event_id,
            occurrences=v.count,
            penalty=v.penalty,
            notify=v.notify,
            detail=v.detail,
        )
        for s in facts.sessions
        if s.qa is not None
        for v in s.qa.violations
        if v.notify
    ]


def _changed(
    timelines: dict[BuyerKey, Timeline],
    shops: dict[str, ShopContext],
    marks: dict[str, datetime],
    memo: InputMemo | None,
) -> tuple[dict[BuyerKey, Timeline], dict[BuyerKey, bytes]]:
    """The timelines whose stored results may differ from a fresh derivation, and the
    digests of all of them."""
    digests = {key: digest(timeline) for key, timeline in timelines.items()}
    if memo is None:
        return timelines, digests
    changed = {
        key: timeline
        for key, timeline in timelines.items()
        if not memo.unchanged(
            key, digests[key], shops[key[0]].settings, shops[key[0]].rules, marks[key[0]]
        )
    }
    return changed, digests


async def rederive(
    *,
    pg: Pg,
    keys: Collection[BuyerKey],
    shops: dict[str, ShopContext],
    marks: dict[str, datetime],
    memo: InputMemo | None = None,
    cache: TimelineCache | None = None,
    arrivals: Iterable[Arrival] = (),
) -> Derived:
    """Re-derive `keys` under the shops' new watermarks `marks` and write everything.

    With a memo, buyers whose inputs are those of their last committed derivation (and
    whose wake_at the watermark has not passed) are left as they are: same rows. With a
    cache, timelines come from it, topped up with the batch's `arrivals`."""
    keys = sorted(k for k in keys if k[0] in shops and k[0] in marks)
    loaded = await read_timelines(pg=pg, keys=keys, cache=cache, arrivals=arrivals)
    timelines, digests = _changed(loaded, shops, marks, memo)
    stored = await load_contributions(pg=pg, keys=timelines)
    derived, results = derive_all(timelines, shops, marks)
    derived.unchanged = len(loaded) - len(timelines)
    for key, facts in results:
        shop = shops[key[0]]
        derived.inputs.append((key, Inputs(digests[key], shop.settings, shop.rules, facts.wake_at)))
        derived.deltas.add(key[0], diff(facts, stored.get(key)))
        notices = notify_worthy(key[1], facts)
        if notices:
            derived.notices.setdefault(key[0], []).extend(notices)
    await apply_deltas(pg=pg, deltas=derived.deltas)
    # Facts are only ever written together with buyer_state (and a rescore deletes both),
    # so a buyer without stored state has no facts to delete: its first derivation.
    await delete_facts(pg=pg, keys=[key for key, _ in results if key in stored])
    await insert_facts(pg=pg, rows=derived.facts)
    return derived
