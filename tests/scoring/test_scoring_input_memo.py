"""The scoring shell's InputMemo: a buyer is skipped only when a fresh derivation would
write exactly what is stored (same event ids, settings and rules; wake_at not passed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.qa_rules import QaRules
from domain.settings import ShopSettings
from services.scoring.core import ChatMessage, OrderEvent, derive_buyer
from services.scoring.core.model import Sender
from services.scoring.input_memo import InputMemo, Inputs, digest
from services.scoring.timeline_loader import Timeline

T0 = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)
KEY = ("s", "b")


def _msg(eid: str, sender: Sender, minutes: int) -> ChatMessage:
    return ChatMessage(
        "s", eid, "b", "A", sender, T0 + timedelta(minutes=minutes), "text", "您好亲"
    )


def _timeline(*messages: ChatMessage) -> Timeline:
    return Timeline(messages=list(messages))


def _remembered(timeline: Timeline, watermark: datetime) -> tuple[InputMemo, Inputs]:
    facts = derive_buyer(timeline.messages, [], ShopSettings(), QaRules(), watermark, buyer_id="b")
    inputs = Inputs(digest(timeline), ShopSettings(), QaRules(), facts.wake_at)
    memo = InputMemo()
    memo.remember([(KEY, inputs)])
    return memo, inputs


def test_digest_is_the_set_of_event_ids_whatever_their_order() -> None:
    a, b = _msg("e1", "buyer", 0), _msg("e2", "agent", 1)
    assert digest(_timeline(a, b)) == digest(_timeline(b, a))
    assert digest(_timeline(a, b)) != digest(_timeline(a))
    order = OrderEvent("s", "e2", "order.created", "o1", "b", T0, None)
    # The same id as a message or as an order event is a different timeline.
    assert digest(_timeline(a, b)) != digest(Timeline([a], [order]))


def test_unchanged_only_for_same_inputs_before_wake_at() -> None:
    timeline = _timeline(_msg("e1", "buyer", 0), _msg("e2", "agent", 1))
    memo, inputs = _remembered(timeline, T0 + timedelta(minutes=1))
    assert inputs.wake_at is not None  # the session is still open
    same = digest(timeline)
    settings, rules = ShopSettings(), QaRules()
    assert memo.unchanged(KEY, same, settings, rules, inputs.wake_at)  # not strictly past
    assert not memo.unchanged(
        KEY, same, settings, rules, inputs.wake_at + timedelta(microseconds=1)
    )
    grown = digest(_timeline(*timeline.messages, _msg("e3", "buyer", 2)))
    assert not memo.unchanged(KEY, grown, settings, rules, inputs.wake_at)
    other_settings = ShopSettings(session_gap_seconds=60)
    assert not memo.unchanged(KEY, same, other_settings, rules, inputs.wake_at)
    other_rules = QaRules.from_dict({"greeting": {"enabled": False}})
    assert not memo.unchanged(KEY, same, settings, other_rules, inputs.wake_at)
    assert not memo.unchanged(("s", "other"), same, settings, rules, inputs.wake_at)
    memo.clear()
    assert not memo.unchanged(KEY, same, settings, rules, inputs.wake_at)


def test_closed_buyer_without_wake_at_stays_unchanged_at_any_watermark() -> None:
    timeline = _timeline(_msg("e1", "buyer", 0), _msg("e2", "agent", 1))
    memo, inputs = _remembered(timeline, T0 + timedelta(days=30))
    assert inputs.wake_at is None
    far = T0 + timedelta(days=365)
    assert memo.unchanged(KEY, digest(timeline), ShopSettings(), QaRules(), far)


def test_bounded_least_recently_used() -> None:
    memo = InputMemo(capacity=2)
    inputs = Inputs(b"x", ShopSettings(), QaRules(), None)
    memo.remember([(("s", "1"), inputs), (("s", "2"), inputs)])
    assert memo.unchanged(("s", "1"), b"x", ShopSettings(), QaRules(), T0)  # 1 is now recent
    memo.remember([(("s", "3"), inputs)])
    assert len(memo) == 2
    assert not memo.unchanged(("s", "2"), b"x", ShopSettings(), QaRules(), T0)
    assert memo.unchanged(("s", "1"), b"x", ShopSettings(), QaRules(), T0)


def test_capacities_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """SCORING_INPUT_MEMO_BUYERS and SCORING_TIMELINE_CACHE_EVENTS bound the process's
    memory (docs/throughput.md "Memory"); the defaults keep a 1 000 000-event backlog
    under 500 MB."""
    from services.scoring.settings import ScoringSettings

    defaults = ScoringSettings(_env_file=None)  # type: ignore[call-arg]
    assert (defaults.input_memo_buyers, defaults.timeline_cache_events) == (50_000, 120_000)
    monkeypatch.setenv("SCORING_INPUT_MEMO_BUYERS", "7")
    monkeypatch.setenv("SCORING_TIMELINE_CACHE_EVENTS", "9")
    tuned = ScoringSettings(_env_file=None)  # type: ignore[call-arg]
    assert (tuned.input_memo_buyers, tuned.timeline_cache_events) == (7, 9)
