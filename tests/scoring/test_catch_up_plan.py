"""When catch-up steps run: idle, or on the timer unless the worker is behind its logs."""

from __future__ import annotations

import time

from services.scoring.catch_up_plan import CatchUpPlan


def _plan() -> CatchUpPlan:
    plan = CatchUpPlan(step_every_s=30.0, behind_records=1_000)
    plan.add(["shop-a"])
    return plan


def test_nothing_queued_means_no_step() -> None:
    assert not CatchUpPlan().step_due(idle=True)


def test_an_idle_worker_steps_at_once_even_when_behind() -> None:
    plan = _plan()
    plan.note_lag(0, 50_000)
    assert plan.step_due(idle=True, now=time.monotonic())


def test_a_busy_worker_steps_on_the_timer() -> None:
    plan = _plan()
    now = time.monotonic()
    assert not plan.step_due(idle=False, now=now)
    assert plan.step_due(idle=False, now=now + 31)


def test_a_worker_behind_its_logs_waits_until_it_has_caught_up() -> None:
    plan = _plan()
    later = time.monotonic() + 31
    plan.note_lag(0, 600)
    plan.note_lag(1, 600)  # 1 200 unread over its partitions: behind
    assert plan.behind
    assert not plan.step_due(idle=False, now=later)
    plan.note_lag(1, 0)
    assert not plan.behind
    assert plan.step_due(idle=False, now=later)


def test_a_new_assignment_forgets_the_old_lags() -> None:
    plan = _plan()
    plan.note_lag(0, 5_000)
    plan.clear()
    assert not plan.behind
