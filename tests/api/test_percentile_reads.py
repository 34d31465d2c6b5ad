"""The rollup reader's percentile read (docs/percentiles.md) against a brute-force sort:
the runs' histograms first, then only the values in the bucket a percentile needs, from
the very row versions the histograms came from.

Through the real Postgres: many runs, values exactly on and beside bucket bounds and
past the last one, ties across runs, every k (so k at every bucket's first and last
value), rows summed in Python after the read (as mentor teams are), a row rewritten or
deleted between the two reads, and the export's stream in small batches. Every
agent-day is stored in two parts, as scoring leaves it between merges.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.spread import BOUNDS, Runs, Spread, Unfetched, encode, rank
from services.api.metrics import service as metrics
from services.api.performance.boards import service as boards
from shared import rollup_reader
from shared.rollup_reader import AgentQuery
from shared.schema import agent_responses

from .conftest import insert_agent_days, insert_agent_responses, insert_agents, new_shop_id

DAY = date(2026, 9, 1)
DAYS = 40
AGENTS = ("a", "b", "c")
Times = dict[tuple[str, date], tuple[list[int], list[int]]]


def _times(seed: int) -> Times:
    """Each agent-day: values on bounds, a microsecond either side, zero, past the last
    bound (a day), and whole seconds repeated across runs (ties)."""
    rng = random.Random(seed)
    edges = [0, 1, BOUNDS[-1], BOUNDS[-1] + 1, 3 * BOUNDS[-1]]
    for b in rng.sample(BOUNDS, 20):
        edges += [b - 1, b, b + 1]
    out: Times = {}
    for agent in AGENTS:
        for d in range(DAYS):
            n = rng.randint(0, 30)
            responses = [
                rng.choice(edges) if rng.random() < 0.5 else rng.randint(0, 40) * 1_000_000
                for _ in range(n)
            ]
            first = rng.sample(responses, k=min(n, rng.randint(0, 5)))
            if responses:
                out[(agent, DAY + timedelta(days=d))] = (responses, first)
    return out


async def _shop(engine: AsyncEngine, times: Times) -> str:
    shop_id = new_shop_id()
    await insert_agent_days(
        engine, shop_id, [(a, d, {"responses": len(r)}) for (a, d), (r, _) in times.items()]
    )
    await insert_agent_responses(
        engine, shop_id, [(a, d, r, f) for (a, d), (r, f) in times.items()], parts=True
    )
    return shop_id


def _query(shop_id: str, group_by: Any = "agent") -> AgentQuery:
    return AgentQuery(shop_id, DAY, DAY + timedelta(days=DAYS - 1), "total", group_by)


def _expected(times: Times, agents: tuple[str, ...]) -> tuple[list[int], list[int]]:
    responses = sorted(v for (a, _), (r, _) in times.items() if a in agents for v in r)
    first = sorted(v for (a, _), (_, f) in times.items() if a in agents for v in f)
    return responses, first


def _percentiles(spread: Spread) -> list[int | None]:
    return [
        spread.percentile("responses", 1, 2),
        spread.percentile("responses", 9, 10),
        spread.percentile("first", 1, 2),
    ]


def _brute(responses: list[int], first: list[int]) -> list[int | None]:
    def kth(values: list[int], num: int, den: int) -> int | None:
        return values[rank(len(values), num, den) - 1] if values else None

    return [kth(responses, 1, 2), kth(responses, 9, 10), kth(first, 1, 2)]


async def _histograms(session: AsyncSession, query: AgentQuery) -> dict[Any, Spread]:
    """The first read only: the spreads by their histograms, no values yet."""
    rows = await rollup_reader._binary_rows(
        session, rollup_reader._spread_statement_of(query), query.params()
    )
    return {row[1]: rollup_reader._spread(query.shop_id, row) for row in rows}


@pytest.fixture(scope="module")
async def shop(api_engine: AsyncEngine) -> tuple[str, Times]:
    times = _times(5)
    return await _shop(api_engine, times), times


async def test_every_k_of_every_row_is_the_brute_force_kth(
    api_engine: AsyncEngine, shop: tuple[str, Times]
) -> None:
    shop_id, times = shop
    async with AsyncSession(api_engine) as session:
        spreads = await _histograms(session, _query(shop_id, "shop"))
        spreads.update(await _histograms(session, _query(shop_id)))
        every_bucket = set(range(len(BOUNDS) + 1))
        wanted = {
            id(runs): (runs, every_bucket)
            for spread in spreads.values()
            for runs in (spread.responses, spread.first)
            if runs.n
        }
        assert await rollup_reader._fetch_buckets(session, wanted) == []
    for key, spread in spreads.items():
        responses, first = _expected(times, AGENTS if key is None else (key,))
        for runs, values in ((spread.responses, responses), (spread.first, first)):
            assert runs.n == len(values)
            assert [runs.kth(k) for k in range(1, runs.n + 1)] == values, key


async def test_the_reader_fetches_what_the_catalogue_percentiles_need(
    api_engine: AsyncEngine, shop: tuple[str, Times]
) -> None:
    shop_id, times = shop
    async with AsyncSession(api_engine) as session:
        for group_by in ("agent", "shop"):
            rows = await rollup_reader.agent_sums(session, _query(shop_id, group_by))
            for _, key, parts in rows:
                assert parts.spread is not None
                agents = AGENTS if key is None else (key,)
                assert _percentiles(parts.spread) == _brute(*_expected(times, agents))


async def test_rows_summed_in_python_fetch_their_own_values(
    api_engine: AsyncEngine, shop: tuple[str, Times]
) -> None:
    # A mentor team sums its members' rows after the read: other ranks, other buckets.
    shop_id, times = shop
    async with AsyncSession(api_engine) as session:
        parts = await rollup_reader.parts_by_agent(
            session, shop_id=shop_id, start=DAY, end=DAY + timedelta(days=DAYS - 1)
        )
        team = parts["a"] + parts["b"]
        assert team.spread is not None
        with pytest.raises(Unfetched):
            _percentiles(team.spread)
        await rollup_reader.fetch_values(session, [team.spread])
        assert _percentiles(team.spread) == _brute(*_expected(times, ("a", "b")))
        # The members' own values stay theirs.
        mine = parts["a"].spread
        assert mine is not None and _percentiles(mine) == _brute(*_expected(times, ("a",)))


async def test_the_shop_row_summed_from_agent_rows_equals_its_own_read(
    api_engine: AsyncEngine, shop: tuple[str, Times]
) -> None:
    # The console's team page sums its agent rows into the shop row (no second read).
    shop_id, _ = shop
    async with AsyncSession(api_engine) as session:
        sums = await rollup_reader.agent_sums(session, _query(shop_id))
        mine = await metrics.shop_rows_of(
            session=session, query=_query(shop_id, "shop"), parts=[p for _, _, p in sums]
        )
        theirs = await metrics.metric_rows(session=session, query=_query(shop_id, "shop"))
    assert mine == theirs and mine[0]["p90_response_seconds"] is not None


async def test_the_mentor_view_team_row(api_engine: AsyncEngine) -> None:
    # The endpoint's team row is summed in Python (services/performance/rollups.py).
    times = _times(13)
    shop_id = await _shop(api_engine, times)
    await insert_agents(
        api_engine,
        shop_id,
        [{"agent_id": "a"}, {"agent_id": "b", "mentor_id": "a"}, {"agent_id": "c"}],
    )
    async with AsyncSession(api_engine) as session:
        view = await boards.mentor(
            session=session,
            shop_id=shop_id,
            mentor_id="a",
            start=DAY,
            end=DAY + timedelta(days=DAYS - 1),
        )
    seconds = [
        None if us is None else us / 1_000_000 for us in _brute(*_expected(times, ("a", "b")))
    ]
    team = view.team.model_dump()
    names = ("p50_response_seconds", "p90_response_seconds", "p50_first_response_seconds")
    assert [team[name] for name in names] == seconds


@pytest.mark.parametrize("change", ["rewritten", "deleted"])
async def test_a_row_changed_between_the_reads_is_read_again_whole(
    api_engine: AsyncEngine, change: str
) -> None:
    # A scoring batch commits between the histograms and the values: the values must not
    # come from the new row version sliced by the old histogram.
    times = _times(9)
    shop_id = await _shop(api_engine, times)
    (day, (responses, first)) = next((d, t) for (a, d), t in times.items() if a == "a")
    async with AsyncSession(api_engine) as session:
        spreads = await _histograms(session, _query(shop_id))
        async with api_engine.begin() as conn:
            where = (
                (agent_responses.c.shop_id == shop_id)
                & (agent_responses.c.agent_id == "a")
                & (agent_responses.c.day == day)
            )
            if change == "deleted":
                await conn.execute(delete(agent_responses).where(where))
                del times[("a", day)]
            else:  # the settled part rewritten, the recent one not: both are read again
                half = len(responses) // 2
                shifted = [v + 7 * 1_000_000 for v in responses[:half]]
                await conn.execute(
                    update(agent_responses)
                    .where(where & (agent_responses.c.part == 0))
                    .values(response_us=encode(sorted(shifted)))
                )
                times[("a", day)] = (shifted + responses[half:], first)
        await rollup_reader.fetch_values(session, spreads.values())
        # The row's spread holds the runs as they are now; every percentile is exact.
        assert _percentiles(spreads["a"]) == _brute(*_expected(times, ("a",)))
        assert _percentiles(spreads["b"]) == _brute(*_expected(times, ("b",)))


async def test_the_export_stream_fetches_values_batch_by_batch(
    api_engine: AsyncEngine, shop: tuple[str, Times]
) -> None:
    shop_id, _ = shop
    query = AgentQuery(shop_id, DAY, DAY + timedelta(days=DAYS - 1), "week", "agent")
    async with api_engine.connect() as conn, conn.begin():
        whole = await rollup_reader.agent_sums(conn, query)
        streamed = [row async for row in rollup_reader.stream_agent_rows(conn, query, batch=2)]
    assert [row[:2] for row, _ in streamed] == [(p, k) for p, k, _ in whole]
    assert len(whole) > 6
    for (_, mine), (_, _, theirs) in zip(streamed, whole, strict=True):
        assert mine is not None and theirs.spread is not None
        assert _percentiles(mine) == _percentiles(theirs.spread)


def test_runs_held_whole_and_by_histogram_add_up() -> None:
    # In memory (tests, the core's totals) runs are held whole: no fetch, same answers.
    whole = Spread.of_rows([encode([1, 5_000_000]), encode([2])], [encode([])])
    assert whole.wanted([("responses", 1, 2), ("first", 1, 2)]) == set()
    assert whole.percentile("responses", 1, 2) == 2
    assert (whole + Spread()).percentile("responses", 9, 10) == 5_000_000
    assert Runs().n == 0
