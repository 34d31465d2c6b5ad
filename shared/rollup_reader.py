"""The one reader of the daily rollups (agent_daily, shop_daily): their additive parts
summed per period (day, ISO week, month, total) and per agent / group / mentor / shop.

/v1/metrics, targets, bonus plans, honour levels, leaderboards, mentor views and alert
evaluation all read the rollups here, so every number sums the same rows the same way;
the metric catalogue (domain/metrics.py) then reads the values from the summed parts.
`stream_agent_rows` yields rows as the database sends them (server-side cursor), for
readers of many rows (exports) that must not hold them all.

Statements are built once per shape (granularity, grouping, which filters) with bind
parameters, not per request: building 28 SUM expressions costs more than running them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import chain
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Text,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select

from domain.catalogue import CATALOGUE
from domain.formulas import Percentile
from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import BOUNDS, FIELD, HEADER, Block, Runs, Spread
from shared.schema import agent_daily, agent_responses, agents, shop_daily

Granularity = Literal["day", "week", "month", "total"]
GroupBy = Literal["agent", "group", "mentor", "shop"]
# Agents without a group are grouped, filtered and shown as this.
UNGROUPED = "ungrouped"
Executor = AsyncSession | AsyncConnection
# to_char formats; IYYY/IW are the ISO year and week, so 2027-01-01 is 2026-W53.
_LABELS: dict[str, tuple[str, str]] = {
    "day": ("day", "YYYY-MM-DD"),
    "week": ("week", 'IYYY-"W"IW'),
    "month": ("month", "YYYY-MM"),
}


@dataclass(frozen=True, slots=True)
class AgentQuery:
    """Sums of agent_daily over the local days [start, end], per period and key."""

    shop_id: str
    start: date
    end: date
    granularity: Granularity = "total"
    group_by: GroupBy = "agent"
    agent_ids: Sequence[str] | None = None  # only these agents
    group: str | None = None  # only agents of this group (UNGROUPED: of none)

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {"shop_id": self.shop_id, "start": self.start, "end": self.end}
        if self.agent_ids:
            out["agent_ids"] = list(self.agent_ids)
        if self.group is not None:
            out["group"] = self.group
        return out


def _sums(
    table: Any,
    fields: Sequence[str],
    money: frozenset[str],
    *,
    summed: bool = True,
    texts: bool = False,
) -> list[ColumnElement[Any]]:
    # SUM(bigint) is numeric in Postgres: cast back so counts stay ints. The columns come
    # in the parts' field order, so that a row's tail builds the parts positionally.
    # `summed` False: the rows are their own groups (one row per key), their values as
    # they are. `texts`: money as its text (numeric(16,2) sums keep two places: "258.90").
    out: list[ColumnElement[Any]] = []
    for n in fields:
        value: ColumnElement[Any] = func.sum(table.c[n]) if summed else table.c[n]
        if n in money:
            out.append((value.cast(Text) if texts else value).label(n))
        else:
            out.append(value.cast(BigInteger).label(n) if summed else value)
    return out


def _period(day: Any, granularity: Granularity) -> tuple[ColumnElement[Any] | None, Any]:
    """(what to group and order by, its label): rows group by the truncated day and only
    format it once per group; a week or month row sums only the days inside the range."""
    if granularity == "total":
        return None, literal_column("'total'")
    unit, fmt = _LABELS[granularity]
    # Cast to timestamp (no time zone): truncation must not depend on the session's zone.
    key = func.date_trunc(literal_column(f"'{unit}'"), day.cast(DateTime(timezone=False)))
    return key, func.to_char(key, literal_column(f"'{fmt}'"))


def _mentor_map() -> Any:
    """(member, mentor): each apprentice under its mentor, and each mentor under itself."""
    has_mentor = (agents.c.shop_id == bindparam("shop_id")) & agents.c.mentor_id.is_not(None)
    apprentices = select(agents.c.agent_id.label("member"), agents.c.mentor_id.label("mentor"))
    mentors = select(agents.c.mentor_id.label("member"), agents.c.mentor_id.label("mentor"))
    return union_all(apprentices.where(has_mentor), mentors.where(has_mentor).distinct()).subquery()


def _scope(
    d: Any,
    granularity: Granularity,
    group_by: GroupBy,
    by_agents: bool,
    by_group: bool,
    *,
    agents_array: bool = False,
) -> tuple[Select[Any], ColumnElement[Any] | None, ColumnElement[Any]]:
    """The rows of table `d` (agent_daily or agent_responses: both keyed by shop, day,
    agent) in the query's range and filters, with their period label and key: (select of
    period and key, the period's grouping key, the row key)."""
    period_key, label = _period(d.c.day, granularity)
    source: Any = d
    key: ColumnElement[Any]
    group_name = func.coalesce(agents.c.group_name, literal_column(f"'{UNGROUPED}'"))
    if group_by == "group" or by_group:
        source = source.outerjoin(
            agents, (agents.c.shop_id == d.c.shop_id) & (agents.c.agent_id == d.c.agent_id)
        )
    if group_by == "mentor":
        mentor_map = _mentor_map()
        source = source.join(mentor_map, mentor_map.c.member == d.c.agent_id)
        key = mentor_map.c.mentor
    elif group_by == "group":
        key = group_name
    elif group_by == "agent":
        key = d.c.agent_id
    else:
        key = literal_column("NULL")
    stmt = (
        select(label.label("period"), key.label("key"))
        .select_from(source)
        .where(
            d.c.shop_id == bindparam("shop_id"),
            d.c.day >= bindparam("start"),
            d.c.day <= bindparam("end"),
        )
    )
    if by_agents and agents_array:  # one array parameter: compiles without its values
        stmt = stmt.where(d.c.agent_id == any_(bindparam("agent_ids", type_=ARRAY(Text))))
    elif by_agents:
        stmt = stmt.where(d.c.agent_id.in_(bindparam("agent_ids", expanding=True)))
    if by_group:
        stmt = stmt.where(group_name == bindparam("group"))
    return stmt, period_key, key


@lru_cache(maxsize=64)
def _agent_statement(
    granularity: Granularity,
    group_by: GroupBy,
    by_agents: bool,
    by_group: bool,
    *,
    raw: bool = False,
) -> Select[Any]:
    """`raw`: for a psycopg cursor of its own (stream_agent_rows): agent ids as one array
    parameter, money as text."""
    d = agent_daily
    stmt, period_key, key = _scope(d, granularity, group_by, by_agents, by_group, agents_array=raw)
    fields, money = AgentDayParts.FIELDS, AgentDayParts.DECIMAL_FIELDS
    if granularity == "day" and group_by == "agent":
        # agent_daily's key is (shop, day, agent): each row is a group of its own, so its
        # values are the sums, without grouping (a year of 500 agents: 1 s, not 6 s), in
        # the order of the primary key's index (day), agents sorted within each day.
        stmt = stmt.add_columns(*_sums(d, fields, money, summed=False, texts=raw))
        return stmt.order_by(d.c.day, key.collate("C"))
    stmt = stmt.add_columns(*_sums(d, fields, money, texts=raw))
    by_period = [period_key] if period_key is not None else []
    if group_by == "shop":
        return stmt.group_by(*by_period).having(func.count() > 0).order_by(*by_period)
    # COLLATE "C": agent ids order by code point (SPEC §4).
    return stmt.group_by(*by_period, key).order_by(*by_period, key.collate("C"))


@lru_cache(maxsize=64)
def _spread_statement(
    granularity: Granularity, group_by: GroupBy, by_agents: bool, by_group: bool, ordered: bool
) -> Select[Any]:
    """Per (period, key) of the query, its agent_responses rows' runs by their histograms
    only (domain/spread.Block): of each column the histograms side by side and the
    number of values; the rows' versions (ctid, xmin) and keys, in the same order."""
    r = agent_responses
    stmt, period_key, _ = _scope(r, granularity, group_by, by_agents, by_group, agents_array=True)
    # The rows narrowed to what is aggregated first (OFFSET 0: not after the sort that
    # groups them, which would then carry the whole runs).
    rows = (
        stmt.add_columns(
            (period_key if period_key is not None else literal_column("NULL")).label("by_period"),
            func.substring(r.c.response_us, 1, HEADER).label("r_header"),
            _size("response_us").label("r_size"),
            func.substring(r.c.first_response_us, 1, HEADER).label("f_header"),
            _size("first_response_us").label("f_size"),
            _CTID.label("tid"),
            _XMIN.label("xmin"),
            r.c.agent_id.label("agent_id"),
            r.c.day.label("day"),
        )
        .offset(0)
        .subquery()
    )
    c = rows.c
    nothing: ColumnElement[Any] = literal_column("''::bytea")
    space: ColumnElement[Any] = literal_column("' '")
    out = select(
        c.period,
        c.key,
        func.string_agg(c.r_header, nothing),
        func.array_agg(c.r_size),
        func.string_agg(c.f_header, nothing),
        func.array_agg(c.f_size),
        func.string_agg(c.tid, space),
        func.string_agg(c.xmin, space),
        func.array_agg(c.agent_id),
        func.array_agg(c.day),
    )
    if group_by == "shop":
        out = out.group_by(c.by_period, c.period, c.key)
        return out.order_by(c.by_period) if ordered else out
    out = out.group_by(c.by_period, c.period, c.key)
    # In _agent_statement's row order, so that a stream of both can walk them in step.
    return out.order_by(c.by_period, c.key.collate("C")) if ordered else out


# Where the row version that a run's histogram was read from lies, and which it is
# (ctid, xmin), as items of Postgres array literals: its values are fetched from that
# version by a TID scan, or not at all (a scoring batch may rewrite the row between).
_CTID: ColumnElement[Any] = literal_column("'\"' || agent_responses.ctid::text || '\"'")
_XMIN: ColumnElement[Any] = literal_column("agent_responses.xmin::text")


def _size(column: str) -> Any:
    """How many values a stored run holds (int4: integer division)."""
    return literal_column(f"(octet_length(agent_responses.{column}) - {HEADER}) / 8")


def _field(data: str, at: int) -> str:
    """SQL: the little-endian uint32 at byte `at` (0-based) of the bytea `data`."""
    return "(" + " + ".join(f"(get_byte({data}, {at + i}) << {8 * i})" for i in range(4)) + ")"


# The values in buckets of runs, each run from the row version its histogram was read
# from (ctid, xmin), concatenated per request: (request, slices found, values). One TID
# lookup per row version (w: its tid, xmin and group of requests), which gives every
# request of its group (a: `at` where each group's slots start; per slot the request,
# its bucket and column) its slice. A slice's bounds are the run's own counts below the
# bucket's two bounds, read from the row's histogram (h: the two adjacent fields; the
# first bucket starts at 0, the last ends at the run's size): from the very version
# looked up, nothing of them is sent. A row version that is gone is not found: its
# requests' counts fall short. `a` is parsed once (MATERIALIZED: its lists are read by
# subscript per slot); OFFSET 0 keeps the lookup a TID scan and each step's
# expressions computed once per slot (flattened, `h` would be cut again at each byte).
_LAST = len(BOUNDS)
_VALUES = f"""
WITH a AS MATERIALIZED (
    SELECT %(at)s::int4[] AS at, %(req)s::int4[] AS req, %(bucket)s::int4[] AS bucket,
           %(first)s::bool[] AS first
)
SELECT z.req, count(*),
       string_agg(substring(z.run FROM {HEADER + 1} + 8 * z.lo FOR 8 * (z.hi - z.lo)), ''::bytea)
FROM (
    SELECT y.req, y.run,
           CASE WHEN y.b = 0 THEN 0 ELSE {_field("y.h", 0)} END AS lo,
           CASE WHEN y.b = 0 THEN {_field("y.h", 0)}
                WHEN y.b = {_LAST} THEN (octet_length(y.run) - {HEADER}) / 8
                ELSE {_field("y.h", FIELD)} END AS hi
    FROM (
        SELECT x.req, x.b, x.run,
               substring(x.run FROM {FIELD} * x.b - {FIELD - 1} FOR {2 * FIELD}) AS h
        FROM (
            SELECT a.req[g.k] AS req, a.bucket[g.k] AS b,
                   CASE WHEN a.first[g.k] THEN r.first_response_us ELSE r.response_us END AS run
            FROM a
            CROSS JOIN unnest(%(tid)s::tid[], %(xmin)s::xid[], %(grp)s::int4[]) AS w(tid, xmin, grp)
            CROSS JOIN LATERAL (
                SELECT r.response_us, r.first_response_us FROM agent_responses r
                WHERE r.ctid = w.tid AND r.xmin = w.xmin OFFSET 0) r
            CROSS JOIN LATERAL (SELECT generate_series(a.at[w.grp], a.at[w.grp + 1] - 1) AS k) g
            OFFSET 0) x
        OFFSET 0) y
    OFFSET 0) z
GROUP BY z.req
"""
# Runs whose row changed since their histogram was read, whole, as they are now: every
# part of the agent-day (services/scoring/response_parts.py), one row each.
_WHOLE = """
SELECT w.i, CASE WHEN w.first THEN r.first_response_us ELSE r.response_us END
FROM unnest(%(shop)s::text[], %(agent)s::text[], %(day)s::date[], %(first)s::bool[])
     WITH ORDINALITY AS w(shop_id, agent_id, day, first, i)
JOIN agent_responses r ON r.shop_id = w.shop_id AND r.day = w.day AND r.agent_id = w.agent_id
"""
_PERCENTILES: tuple[tuple[str, int, int], ...] = tuple(
    (m.formula.source, m.formula.numerator, m.formula.denominator)
    for m in CATALOGUE.values()
    if isinstance(m.formula, Percentile)
)


@lru_cache(maxsize=8)
def _shop_statement(granularity: Granularity) -> Select[Any]:
    s = shop_daily
    period_key, label = _period(s.c.day, granularity)
    return (
        select(label.label("period"))
        .add_columns(*_sums(s, ShopDayParts.FIELDS, ShopDayParts.DECIMAL_FIELDS))
        .where(
            s.c.shop_id == bindparam("shop_id"),
            s.c.day >= bindparam("start"),
            s.c.day <= bindparam("end"),
        )
        .group_by(*([period_key] if period_key is not None else []))
        .having(func.count() > 0)
    )


AgentRow = tuple[str, Any, AgentDayParts]  # (period label, key, summed parts)


def _agent_statement_of(query: AgentQuery) -> Select[Any]:
    return _agent_statement(
        query.granularity, query.group_by, bool(query.agent_ids), query.group is not None
    )


def _spread_statement_of(query: AgentQuery, *, ordered: bool = False) -> Select[Any]:
    return _spread_statement(
        query.granularity, query.group_by, bool(query.agent_ids), query.group is not None, ordered
    )


async def _raw(session: Executor) -> psycopg.AsyncConnection[Any]:
    """The session's own psycopg connection (its transaction)."""
    conn = await session.connection() if isinstance(session, AsyncSession) else session
    raw = (await conn.get_raw_connection()).driver_connection
    assert isinstance(raw, psycopg.AsyncConnection)
    return raw


async def _binary_rows(
    session: Executor,
    statement: Select[Any],
    params: dict[str, Any],
    *,
    work_mem: str | None = None,
) -> Any:
    """The statement's rows in psycopg's binary format, on the session's own connection:
    bytea arrives as the bytes themselves, where the text format would send and parse
    twice as many hex digits (docs/percentiles.md). `work_mem`: the statement runs with
    this much, in the same round trip (a pipeline: the setting, the statement, the
    setting put back; inside a transaction of its own when the connection is in none,
    autocommit, since SET LOCAL lasts to the end of the transaction)."""
    conn = await session.connection() if isinstance(session, AsyncSession) else session
    compiled = _compiled(statement, conn.dialect)
    raw = await _raw(session)
    async with raw.cursor(binary=True) as cursor:
        if work_mem is None:
            await cursor.execute(compiled.string, compiled.construct_params(params))
            return await cursor.fetchall()
        alone = raw.autocommit and raw.info.transaction_status == TransactionStatus.IDLE
        async with raw.pipeline():
            if alone:
                await raw.execute("BEGIN")
            await raw.execute(sql.SQL("SET LOCAL work_mem = {}").format(work_mem))
            await cursor.execute(compiled.string, compiled.construct_params(params))
            # TO DEFAULT: the session's own value (nothing here SETs it for a session)
            await raw.execute("COMMIT" if alone else "SET LOCAL work_mem TO DEFAULT")
            return await cursor.fetchall()


# The histograms' grouping (a sort or hash of the narrowed rows, ~1 kB a row: 6.5 MB for
# 200 agents × 30 days) spills to disk under Postgres' default work_mem (4 MB): that
# statement runs with more (a sort's or hash's bound, used only as far as needed and
# only for the statement's length; beyond it, it spills as before).
HISTOGRAM_WORK_MEM = "32MB"


async def _binary_sql(session: Executor, sql: str, params: dict[str, Any]) -> list[Any]:
    async with (await _raw(session)).cursor(binary=True) as cursor:
        await cursor.execute(sql, params)
        return await cursor.fetchall()


@lru_cache(maxsize=64)
def _compiled(statement: Select[Any], dialect: Any) -> Any:
    return statement.compile(dialect=dialect)


def _spread(shop_id: str, row: Any) -> Spread:
    """The spread of one row of `_spread_statement` (after its period and key)."""
    r_headers, r_sizes, f_headers, f_sizes, tids, xmins, agents, days = row[2:]
    r = Block(shop_id, False, r_headers, r_sizes, tids, xmins, agents, days)
    f = Block(shop_id, True, f_headers, f_sizes, tids, xmins, agents, days)
    return Spread(Runs(blocks=(r,)), Runs(blocks=(f,)))


Wanted = dict[int, tuple[Runs, set[int]]]  # id(runs) -> (runs, buckets wanted)
_Request = tuple[Runs, int, int]  # (runs, bucket, slices asked)


def _wanted(spreads: Iterable[Spread]) -> Wanted:
    """The buckets whose values the spreads' percentiles (the catalogue's) need."""
    wanted: Wanted = {}
    for spread in spreads:
        for source, bucket in spread.wanted(_PERCENTILES):
            runs = getattr(spread, source)
            wanted.setdefault(id(runs), (runs, set()))[1].add(bucket)
    return wanted


def _bucket_params(wanted: Wanted) -> tuple[dict[str, str], list[_Request]]:
    """_VALUES' parameters for the wanted buckets of each Runs' blocks' runs, and the
    requests they number. The runs of one row read (a block's tids and xmins; the
    response and first-response blocks of a row share them) are one group, looked up
    once for all of its requests. Every list goes as one array literal built by joins
    (no Python step per run)."""
    # (tids, xmins) -> (runs, their slots: (request, bucket, first))
    groups: dict[tuple[str, str], tuple[int, list[tuple[int, int, bool]]]] = {}
    requests: list[_Request] = []
    for runs, buckets in wanted.values():
        for bucket in buckets:
            asked = 0
            for block in runs.blocks:
                size = len(block.sizes)
                group = groups.setdefault((block.tids, block.xmins), (size, []))
                group[1].append((len(requests), bucket, block.first))
                asked += size
            requests.append((runs, bucket, asked))
    tids: list[str] = []
    xmins: list[str] = []
    grps: list[str] = []
    at = [1]
    reqs: list[int] = []
    bkts: list[int] = []
    firsts: list[str] = []
    for number, ((group_tids, group_xmins), (size, slots)) in enumerate(groups.items(), 1):
        tids.append(group_tids)
        xmins.append(group_xmins)
        grps.append(",".join([str(number)] * size))
        at.append(at[-1] + len(slots))
        for request, bucket, first in slots:
            reqs.append(request)
            bkts.append(bucket)
            firsts.append("t" if first else "f")
    params = {
        "tid": "{" + " ".join(tids).replace(" ", ",") + "}",
        "xmin": "{" + " ".join(xmins).replace(" ", ",") + "}",
        "grp": "{" + ",".join(grps) + "}",
        "at": "{" + ",".join(map(str, at)) + "}",
        "req": "{" + ",".join(map(str, reqs)) + "}",
        "bucket": "{" + ",".join(map(str, bkts)) + "}",
        "first": "{" + ",".join(firsts) + "}",
    }
    return params, requests


async def _found(
    executor: Executor, params: dict[str, str], requests: list[_Request]
) -> dict[int, Runs]:
    """Run _VALUES: each request's values into its Runs; the Runs some of whose row
    versions are gone (nothing fetched), by id."""
    found = {i: (n, values) for i, n, values in await _binary_sql(executor, _VALUES, params)}
    changed: dict[int, Runs] = {}
    for i, (runs, bucket, asked) in enumerate(requests):
        got = found.get(i, (0, b""))
        if got[0] == asked:
            runs.found[bucket] = got[1]
        else:
            changed[id(runs)] = runs
    return changed


async def _fetch_buckets(session: Executor, wanted: Wanted) -> list[Runs]:
    """Fetch into each Runs the values in its wanted buckets of its blocks' runs, in
    one statement; the Runs some of whose row versions are gone (nothing fetched)."""
    return list((await _found(session, *_bucket_params(wanted))).values())


async def _fetch_halves(session: Executor, beside: Executor, spreads: list[Spread]) -> list[Runs]:
    """_fetch_buckets of half of the spreads on the session and of the other half on
    `beside`, at the same time: the two statements' Postgres work overlaps. (Sending the
    first before the second half's buckets are found measured slower: its statement
    went out only when this coroutine next waited.)"""
    half = len(spreads) // 2
    halves = ((session, _wanted(spreads[:half])), (beside, _wanted(spreads[half:])))
    found = await asyncio.gather(
        *(_found(executor, *_bucket_params(wanted)) for executor, wanted in halves if wanted)
    )
    changed: dict[int, Runs] = {}
    for part in found:
        changed.update(part)
    return list(changed.values())


async def fetch_values(
    session: Executor, spreads: Iterable[Spread], *, beside: Executor | None = None
) -> None:
    """Fetch into the spreads the values that their percentiles (the catalogue's) need,
    in one statement: the values in one bucket of each row's runs. After this every
    percentile of these spreads reads; call it again after summing spreads in Python
    (their ranks, so their buckets, differ). `beside`: a second connection, that
    fetches half of them (in a statement of its own, at the same time).

    The values come from the row versions the histograms were read from (ctid, xmin);
    a row changed meanwhile leaves its Runs short, and those runs are read again whole,
    as they are now: every value is exact for the runs as they are read."""
    if beside is not None:
        changed = await _fetch_halves(session, beside, list(spreads))
    else:
        wanted = _wanted(spreads)
        changed = await _fetch_buckets(session, wanted) if wanted else []
    if not changed:
        return
    # Every part of each agent-day (an agent-day's rows are read again together: its
    # runs are then all of one moment, whichever of them changed).
    held = [_agent_days(runs) for runs in changed]
    keys = [key for days in held for key in days]
    params = {
        name: [k[i] for k in keys] for i, name in enumerate(("shop", "agent", "day", "first"))
    }
    now: dict[int, list[bytes]] = {}
    for i, run in await _binary_sql(session, _WHOLE, params):
        now.setdefault(i, []).append(run)
    at = 1
    for runs, days in zip(changed, held, strict=True):
        runs.replace_blocks(chain.from_iterable(now.get(i, ()) for i in range(at, at + len(days))))
        at += len(days)


def _agent_days(runs: Runs) -> list[tuple[str, str, Any, bool]]:
    """The (shop, agent, day, first) of the rows of a Runs' blocks, each agent-day once
    per block (a block holds one row per part of it)."""
    return [
        (block.shop_id, agent, day, block.first)
        for block in runs.blocks
        for agent, day in dict.fromkeys(zip(block.agents, block.days, strict=True))
    ]


async def histograms(session: Executor, query: AgentQuery) -> dict[tuple[str, Any], Spread]:
    """(period label, key) -> the response times of the query's rows by their
    histograms only (statement 1): fetch_values before any percentile is read."""
    rows = await _binary_rows(
        session, _spread_statement_of(query), query.params(), work_mem=HISTOGRAM_WORK_MEM
    )
    return {(row[0], row[1]): _spread(query.shop_id, row) for row in rows}


async def spreads(session: Executor, query: AgentQuery) -> dict[tuple[str, Any], Spread]:
    """(period label, key) -> the response times of the query's rows (SPEC §11), with
    the values their percentiles read."""
    out = await histograms(session, query)
    await fetch_values(session, out.values())
    return out


async def agent_sums(
    session: Executor, query: AgentQuery, *, sums_on: Executor | None = None
) -> list[AgentRow]:
    """(period label, key, summed parts) ordered by period, then key in code-point order;
    only (period, key) pairs with rows. The parts carry their row's response times
    (`spread`, for the percentiles; an empty one when the row has none).

    `sums_on`: another connection that reads the sums while `session` reads the response
    times (their Postgres work overlaps); only for a session that has written nothing
    the other connection should see."""
    if sums_on is None:
        rows = await sum_rows(session, query)
        return with_spreads(rows, await spreads(session, query))
    rows, times = await asyncio.gather(sum_rows(sums_on, query), spreads(session, query))
    return with_spreads(rows, times)


async def sum_rows(executor: Executor, query: AgentQuery) -> list[AgentRow]:
    """agent_sums without the response times: the parts' `spread` is not set (None)."""
    rows = await executor.execute(_agent_statement_of(query), query.params())
    return [(r[0], r[1], AgentDayParts(*r[2:])) for r in rows]


def with_spreads(rows: list[AgentRow], times: dict[tuple[str, Any], Spread]) -> list[AgentRow]:
    """The rows of sum_rows with their response times (`spreads` of the same query)."""
    for period, key, parts in rows:
        parts.spread = times.get((period, key)) or Spread()
    return rows


SumsRow = tuple[Any, ...]  # (period label, key, *summed parts; money as two-place text)


async def stream_agent_rows(
    session: Executor, query: AgentQuery, *, batch: int = 1000
) -> AsyncIterator[tuple[SumsRow, Spread | None]]:
    """agent_sums for readers of many rows (exports), yielded as the rows arrive: each row
    flat, as domain.metrics.summed_row_values reads it (period, key, the parts in
    AgentDayParts.FIELDS order with money as its two-place text), with its spread (None
    when it has no response times). Memory stays flat however many rows there are.

    Read through psycopg's binary server-side cursors (inside a transaction), `batch`
    rows a fetch, on the session's own connection: no SQLAlchemy row or Decimal per
    value. The values a batch's percentiles need are fetched in one statement; then the
    next batch is asked for before this one is yielded, so that Postgres reads it while
    the caller turns this one into a file (the two cores overlap)."""
    conn = await session.connection() if isinstance(session, AsyncSession) else session
    by_agents, by_group = bool(query.agent_ids), query.group is not None
    sums_sql = _compiled(
        _agent_statement(query.granularity, query.group_by, by_agents, by_group, raw=True),
        conn.dialect,
    )
    times_sql = _compiled(_spread_statement_of(query, ordered=True), conn.dialect)
    params = query.params()
    raw = (await conn.get_raw_connection()).driver_connection
    assert isinstance(raw, psycopg.AsyncConnection)
    async with (
        raw.cursor("agent_sums", binary=True) as sums,
        raw.cursor("agent_times", binary=True) as times,
    ):
        await sums.execute(sums_sql.string, sums_sql.construct_params(params))
        await times.execute(times_sql.string, times_sql.construct_params(params))
        times.itersize = batch
        runs = aiter(times)
        pending: Any = await anext(runs, None)
        fetching = asyncio.ensure_future(sums.fetchmany(batch))
        try:
            while rows := await fetching:
                # Both streams come in (period, key) order: a row's spread, if any, is next.
                spreads: list[Spread | None] = []
                for row in rows:
                    here = (row[0], row[1] or "")
                    while pending is not None and (pending[0], pending[1] or "") < here:
                        pending = await anext(runs, None)
                    if pending is not None and (pending[0], pending[1] or "") == here:
                        spreads.append(_spread(query.shop_id, pending))
                        pending = await anext(runs, None)
                    else:
                        spreads.append(None)
                await fetch_values(session, (s for s in spreads if s is not None))
                fetching = asyncio.ensure_future(sums.fetchmany(batch))
                await asyncio.sleep(0)  # the fetch is sent: Postgres reads while we yield
                for row, spread in zip(rows, spreads, strict=True):
                    yield row, spread
        finally:
            with suppress(Exception):  # the last fetch (or the one cut short) is read out
                await fetching


async def parts_by_agent(
    session: Executor,
    *,
    shop_id: str,
    start: date,
    end: date,
    agent_ids: Sequence[str] | None = None,
    group: str | None = None,
) -> dict[str, AgentDayParts]:
    """Each agent with at least one agent_daily row in [start, end]: its summed parts."""
    if agent_ids is not None and not agent_ids:
        return {}
    query = AgentQuery(shop_id, start, end, agent_ids=agent_ids, group=group)
    return {key: parts for _, key, parts in await agent_sums(session, query)}


async def shop_sums(
    session: Executor, *, shop_id: str, start: date, end: date, granularity: Granularity
) -> list[tuple[str, ShopDayParts]]:
    """(period label, summed shop_daily parts), periods with rows only."""
    rows = await session.execute(
        _shop_statement(granularity), {"shop_id": shop_id, "start": start, "end": end}
    )
    return [(r[0], ShopDayParts(*r[1:])) for r in rows]


async def shop_totals(
    session: Executor, *, shop_id: str, start: date, end: date
) -> tuple[AgentDayParts, ShopDayParts]:
    """Every agent's parts and the shop-level parts, each summed over [start, end]
    (zeros when there are no rows)."""
    agent_rows = await agent_sums(session, AgentQuery(shop_id, start, end, group_by="shop"))
    shop_rows = await shop_sums(session, shop_id=shop_id, start=start, end=end, granularity="total")
    agent = agent_rows[0][2] if agent_rows else AgentDayParts()
    return agent, (shop_rows[0][1] if shop_rows else ShopDayParts())
