"""An agent-day's response times in two parts (services/scoring/response_parts.py): the
parts always add up to the buyers' current contributions, the recent part stays small,
and a late removal of a merged value still finds it. Pure (against a plain multiset sum)
and through the rollups' SQL on the real Postgres."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.spread import ResponseTimes, decode, encode
from services.scoring import response_parts
from services.scoring.repository import driver
from services.scoring.response_parts import RECENT_CAP, merged, recent_applied
from services.scoring.rollups import _apply_spreads

_EMPTY = (encode([]), encode([]))


def _times(values: list[int], first: list[int]) -> ResponseTimes:
    """Response times `values`, of which those in `first` (a sub-multiset) are first."""
    out, firsts = ResponseTimes(), Counter(first)
    for v in values:
        out.add(v, first=firsts[v] > 0)
        firsts[v] -= 1
    return out


def _step(
    parts: tuple[tuple[bytes, bytes], tuple[bytes, bytes]], delta: ResponseTimes, cap: int
) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """What the shell does with one agent-day: (settled, recent) after a difference."""
    settled, recent = parts
    new = recent_applied(recent, delta, cap=cap)
    if new is not None:
        return settled, (encode(new[0]), encode(new[1]))
    whole = merged(settled, recent, delta)
    return (encode(whole[0]), encode(whole[1])), _EMPTY


def _total(parts: tuple[tuple[bytes, bytes], ...], column: int) -> list[int]:
    return sorted(v for part in parts for v in decode(part[column]))


_CONTRIBUTION = st.lists(st.integers(0, 40), max_size=6)
# (buyer, its new response times, how many of them are first responses)
_CHANGES = st.lists(st.tuples(st.integers(0, 7), _CONTRIBUTION, st.integers(0, 2)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(changes=_CHANGES, cap=st.integers(1, 12))
def test_the_parts_add_up_to_the_buyers_contributions(
    changes: list[tuple[int, list[int], int]], cap: int
) -> None:
    held: dict[int, ResponseTimes] = {}
    parts = (_EMPTY, _EMPTY)
    for buyer, values, firsts in changes:
        new = _times(values, values[:firsts])
        parts = _step(parts, new - held.get(buyer, ResponseTimes()), cap)
        held[buyer] = new
        everything = sum(held.values(), ResponseTimes())
        assert _total(parts, 0) == sorted(Counter(everything.responses).elements())
        assert _total(parts, 1) == sorted(Counter(everything.first).elements())
        assert len(decode(parts[1][0])) <= cap


def test_a_removal_the_recent_part_lacks_merges() -> None:
    settled = (encode([1, 2, 3]), encode([2]))
    recent = (encode([5]), encode([]))
    delta = _times([9], []) - _times([2], [2])  # 2 (a first response) was merged already
    assert recent_applied(recent, delta) is None
    whole = merged(settled, recent, delta)
    assert list(whole[0]) == [1, 3, 5, 9] and list(whole[1]) == []


def test_the_cap_keeps_the_recent_part_inline() -> None:
    # both runs with their histograms within one row of a page (toast_tuple_target 8160)
    row = 2 * len(encode(list(range(RECENT_CAP))))
    assert row < 8160 - 200
    assert response_parts.RECENT_CAP == RECENT_CAP


DAY = date(2026, 11, 11)
KEY = ("shop-parts", "agent-1", DAY)


async def _rows(db: AsyncConnection) -> dict[int, tuple[list[int], list[int]]]:
    pg = await driver(db)
    cursor = await pg.execute(
        "SELECT part, response_us, first_response_us FROM agent_responses"
        " WHERE shop_id = %s AND agent_id = %s AND day = %s",
        KEY,
    )
    return {p: (list(decode(r)), list(decode(f))) for p, r, f in await cursor.fetchall()}


async def test_live_batches_write_the_recent_part_and_merge_when_it_fills(
    db: AsyncConnection,
) -> None:
    pg = await driver(db)
    values = list(range(1_000, 1_000 + RECENT_CAP + 100))
    assert RECENT_CAP % 50 == 0
    for at in range(0, len(values), 50):  # batches of 50 new response times, 10 first
        batch = values[at : at + 50]
        await _apply_spreads(pg, {KEY: _times(batch, batch[:10])})
    rows = await _rows(db)
    assert set(rows) == {0, 1}, "one merge, then a recent part again"
    assert sorted(rows[0][0] + rows[1][0]) == values
    assert len(rows[0][0]) == RECENT_CAP + 50 and len(rows[1][0]) == 50  # merged at 450
    firsts = [v for at in range(0, len(values), 50) for v in values[at : at + 10]]
    assert sorted(rows[0][1] + rows[1][1]) == firsts

    # a late event changes a response merged long ago: the settled part takes it
    await _apply_spreads(pg, {KEY: _times([7], []) - _times([1_000], [1_000])})
    rows = await _rows(db)
    assert set(rows) == {0}
    assert rows[0][0] == sorted([7, *values[1:]])
    assert rows[0][1] == firsts[1:]

    # everything removed: no row is left
    await _apply_spreads(pg, {KEY: ResponseTimes() - _times(rows[0][0], rows[0][1])})
    assert await _rows(db) == {}


async def test_a_difference_within_the_recent_part_leaves_the_settled_row_alone(
    db: AsyncConnection,
) -> None:
    pg = await driver(db)
    await _apply_spreads(pg, {KEY: _times(list(range(RECENT_CAP + 1)), [])})  # merged at once
    cursor = await pg.execute(
        "SELECT ctid::text FROM agent_responses WHERE (shop_id, agent_id, day) = (%s, %s, %s)"
        " AND part = 0",
        KEY,
    )
    (settled_version,) = await cursor.fetchone() or ("",)
    await _apply_spreads(pg, {KEY: _times([5_000_000, 6_000_000], [5_000_000])})
    await _apply_spreads(pg, {KEY: _times([7_000_000], []) - _times([6_000_000], [])})
    rows = await _rows(db)
    assert rows[1] == ([5_000_000, 7_000_000], [5_000_000])
    assert len(rows[0][0]) == RECENT_CAP + 1
    cursor = await pg.execute(
        "SELECT ctid::text FROM agent_responses WHERE (shop_id, agent_id, day) = (%s, %s, %s)"
        " AND part = 0",
        KEY,
    )
    assert (await cursor.fetchone() or ("",))[0] == settled_version
