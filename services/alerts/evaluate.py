"""`evaluate_after_batch`: the scoring shell's hook, run inside its batch transaction.

Per enabled rule: for scope agent, each agent the batch changed (or the rule's one agent,
if changed); for scope shop, the shop (every batch). Values are summed over the rule's
window, counted in local days back from the shop's watermark day (event time, so that a
replay judges exactly the same days). Transitions update alert_state and go to the
webhook outbox — all in the caller's transaction, so a rollback sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from domain.review_notices import ReviewNotice
from domain.violations import ViolationReport
from services.webhooks.outbox import OutboxEvent, enqueue_events
from shared import rollup_reader

from . import store
from .judge import judge
from .notices import ledger_events
from .reviews import review_outbox_events
from .rules import AlertRule, window_days
from .values import Observation, observe

# (rule, scope key, what it observed, the window's days)
Judged = tuple[AlertRule, str, Observation, tuple[date, date]]


def scope_key(rule: AlertRule, agent_id: str | None) -> str:
    return "shop" if rule.scope == "shop" else f"agent:{agent_id}"


async def evaluate_after_batch(
    *,
    session: store.Session,
    shop_id: str,
    changed_agent_days: set[tuple[str, date]],
    violations: ViolationReport,
    now: datetime,
    review_notices: Iterable[ReviewNotice] = (),
) -> int:
    """Judge the shop's alert rules after a batch and queue the resulting webhooks.

    `changed_agent_days`: (agent_id, local day) pairs whose agent_daily rows the batch
    changed (already written in this transaction). `violations`: the violations of the
    buyers the batch re-derived (notices.py: each violation with notify on is notified
    once, ever; a notified one that is gone is withdrawn).
    `now`: the batch's wall-clock time, for event timestamps and cooldowns.
    `review_notices`: re-derived orders whose review is bad (review.bad, once per order and
    review event) or replaced bad ones (review.bad.withdrawn for those notified). Returns how
    many events were queued. Never commits.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    notices = await ledger_events(session=session, shop_id=shop_id, report=violations, now=now)
    notices += await review_outbox_events(session, shop_id, review_notices)
    # One statement for all of them: a batch can carry hundreds of notices.
    stored = await enqueue_events(session=session, shop_id=shop_id, events=notices, now=now)
    rules = await store.enabled_rules(session, shop_id)
    if not rules:
        return len(stored)
    watermark, timezone = await store.shop_clock(session, shop_id)
    if watermark is None:
        return len(stored)
    agents = {agent_id for agent_id, _ in changed_agent_days}
    observations = await _observations(session, shop_id, rules, agents, watermark, timezone)
    transitions = await _transitions(session, shop_id, observations, watermark, now)
    await enqueue_events(session=session, shop_id=shop_id, events=transitions, now=now)
    return len(stored) + len(transitions)


async def _transitions(
    session: store.Session,
    shop_id: str,
    observations: list[Judged],
    watermark: datetime,
    now: datetime,
) -> list[OutboxEvent]:
    """Judge each observation, store the transitions' alert_state, and return their
    events (alert.breached / alert.resolved), in judging order."""
    states = await store.load_states(
        session, shop_id, ((r.rule_id, k) for r, k, _, _ in observations)
    )
    events: list[OutboxEvent] = []
    for rule, key, seen, days in observations:
        state = states.get((rule.rule_id, key), store.AlertState())
        transition = judge(rule, seen, state, now)
        if transition is None:
            continue
        await store.save_state(
            session,
            shop_id=shop_id,
            rule_id=rule.rule_id,
            scope_key=key,
            state=transition.state,
            value=seen.value,
            sample=seen.sample,
            now=now,
        )
        data = _alert_data(rule, key, seen, days, watermark)
        events.append(OutboxEvent(transition.kind, data))
    return events


async def _observations(
    session: store.Session,
    shop_id: str,
    rules: list[AlertRule],
    agents: set[str],
    watermark: datetime,
    timezone: str,
) -> list[Judged]:
    """(rule, scope key, flat metrics, days) for every scope a rule must judge now."""
    out: list[Judged] = []
    for window in sorted({r.window for r in rules}):
        days = window_days(window, watermark, timezone)
        in_window = [r for r in rules if r.window == window]
        agent_rules = [r for r in in_window if r.scope == "agent"]
        if agent_rules and agents:
            sums = await rollup_reader.parts_by_agent(
                session, shop_id=shop_id, start=days[0], end=days[1], agent_ids=sorted(agents)
            )
            for rule in agent_rules:
                for agent_id in sorted(agents):
                    if rule.agent_id not in (None, agent_id) or agent_id not in sums:
                        continue
                    seen = observe(rule, sums[agent_id])
                    out.append((rule, scope_key(rule, agent_id), seen, days))
        shop_rules = [r for r in in_window if r.scope == "shop"]
        if shop_rules:
            agent, shop = await rollup_reader.shop_totals(
                session, shop_id=shop_id, start=days[0], end=days[1]
            )
            out.extend((rule, "shop", observe(rule, agent, shop), days) for rule in shop_rules)
    return out


def _alert_data(
    rule: AlertRule,
    key: str,
    seen: Observation,
    days: tuple[date, date],
    watermark: datetime,
) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "rule_name": rule.name,
        "scope": rule.scope,
        "agent_id": key.removeprefix("agent:") if rule.scope == "agent" else None,
        "metric": rule.metric,
        "comparison": rule.comparison,
        "threshold": float(rule.threshold),
        "window": rule.window,
        "from": days[0].isoformat(),
        "to": days[1].isoformat(),
        "value": seen.shown(rule.metric),
        "sample_metric": rule.sample_of,
        "sample": seen.sample,
        "min_sample": rule.min_sample,
        "watermark": watermark.isoformat(),
    }
