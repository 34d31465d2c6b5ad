"""Shutdown steps are bounded: a hung step is left behind, a failing one logged."""

from __future__ import annotations

import asyncio

from shared.shutdown import bounded


async def test_a_step_that_hangs_even_on_cancellation_is_left_behind() -> None:
    never = asyncio.Event()
    reached = []

    async def stuck() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            reached.append("cancelled")
            await never.wait()  # a client library stuck in its own clean-up

    await bounded("stuck", stuck(), seconds=0.05)  # returns: the suite's timeout would not
    await asyncio.sleep(0)
    assert reached == ["cancelled"]


async def test_a_step_that_fails_does_not_stop_the_next() -> None:
    async def fails() -> None:
        raise RuntimeError("gone")

    done = []

    async def works() -> None:
        done.append(True)

    await bounded("fails", fails())
    await bounded("works", works())
    assert done == [True]
