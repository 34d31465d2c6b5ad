"""The spread of response times (SPEC §11): exact nearest-rank percentiles over any rows.

A percentile does not add up like a count, so the rollups keep what it is computed from:
every response_seconds of an agent's day, at the data's native resolution (integer
microseconds: timestamps are exact to the microsecond, and a response time is a
difference of two). Two forms:

- `ResponseTimes`, the write side: a multiset value -> count of response times and one of
  first response times. A buyer's contribution has positive counts; the difference
  between a buyer's new and old contribution may have negative ones, and adding it to
  an agent-day's stored multiset gives exactly the batch result, whatever the order.
- `Spread`, the read side: one stored run per agent-day (agent_responses rows); `kth`
  selects the k-th smallest over the runs through their cumulative histograms, decoding
  and sorting only the one bucket that holds it (docs/percentiles.md: design and cost).
  A run is held whole, or (the rollup reader's way) as its histogram only plus the
  slices that the row's percentiles need: `Spread.wanted` names them, the reader
  fetches them into the runs before any value is read.

An agent-day's run is stored as a cumulative histogram over fixed bounds (int32) followed
by the sorted values (int64), little-endian (`encode`/`decode`).
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import add
from typing import Any

Multiset = dict[int, int]  # value (µs) -> count


def _plus(a: Mapping[int, int], b: Mapping[int, int], sign: int) -> Multiset:
    out = dict(a)
    for value, count in b.items():
        total = out.get(value, 0) + sign * count
        if total:
            out[value] = total
        else:
            out.pop(value, None)
    return out


def _expanded(values: Mapping[int, int]) -> list[int]:
    """The sorted values with repeats; a multiset with a negative count has none."""
    if not values:
        return []
    counts = values.values()
    if min(counts) < 0:
        raise ValueError("a multiset with negative counts has no values")
    if sum(counts) == len(values):  # every count is 1 (a buyer's usual times): no repeats
        return sorted(values)
    return [v for v in sorted(values) for _ in range(values[v])]


@dataclass(slots=True)
class ResponseTimes:
    """Response times (µs) of one agent's day, and of its first responses, as multisets."""

    responses: Multiset = field(default_factory=dict)
    first: Multiset = field(default_factory=dict)

    def add(self, us: int, *, first: bool) -> None:
        self.responses[us] = self.responses.get(us, 0) + 1
        if first:
            self.first[us] = self.first.get(us, 0) + 1

    def __add__(self, other: ResponseTimes) -> ResponseTimes:
        return ResponseTimes(
            _plus(self.responses, other.responses, 1), _plus(self.first, other.first, 1)
        )

    def __sub__(self, other: ResponseTimes) -> ResponseTimes:
        return ResponseTimes(
            _plus(self.responses, other.responses, -1), _plus(self.first, other.first, -1)
        )

    def is_zero(self) -> bool:
        return not self.responses and not self.first

    def to_json(self) -> dict[str, list[int]]:
        """{"r": sorted values with repeats, "f": likewise}: a contribution (counts ≥ 0)."""
        return {"r": _expanded(self.responses), "f": _expanded(self.first)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResponseTimes:
        out = cls()
        for name, target in (("r", out.responses), ("f", out.first)):
            for value in data.get(name, ()):
                target[value] = target.get(value, 0) + 1
        return out


# -- storage: a cumulative histogram, then the sorted values ------------------------------

_S = 1_000_000
# Fixed bucket bounds (µs) of every stored run, finest where response times crowd: 1 s
# steps to 30 s, 2 s to a minute, 5 s to 3 minutes, 15 s to 10 minutes, a minute to half
# an hour, then hours. The histogram only says where to look; the values themselves are
# exact (docs/percentiles.md).
BOUNDS: tuple[int, ...] = (
    *(i * _S for i in range(1, 30)),
    *(i * _S for i in range(30, 60, 2)),
    *(i * _S for i in range(60, 180, 5)),
    *(i * _S for i in range(180, 600, 15)),
    *(i * _S for i in range(600, 1800, 60)),
    *(minutes * 60 * _S for minutes in (30, 60, 120, 240, 480, 1440)),
)
# Each count is an unsigned little-endian int32, so that a header read as one integer
# is the counts side by side: the headers of many runs add up as integers (one C
# addition per run) into the summed counts, carry-free while a row holds fewer than 2³²
# values (a row with more sums field by field).
FIELD = 4
_CARRY_FREE = 1 << 32
HEADER = FIELD * len(BOUNDS)
_LITTLE = sys.byteorder == "little"


def encode(values: Sequence[int]) -> bytes:
    """A sorted run as stored: for every bound the count of values below it, then the
    values (int64), all little-endian."""
    header = b"".join(bisect_left(values, b).to_bytes(FIELD, "little") for b in BOUNDS)
    packed = array("q", values)
    if not _LITTLE:
        packed.byteswap()
    return header + packed.tobytes()


def decode(data: bytes) -> array[int]:
    """The sorted values of a stored run."""
    packed = array("q")
    packed.frombytes(data[HEADER:])
    if not _LITTLE:
        packed.byteswap()
    return packed


def _fields(header: bytes) -> list[int]:
    counts = array("I", header)  # FIELD = 4 = the item size of "I" on every platform here
    if not _LITTLE:
        counts.byteswap()
    return counts.tolist()


def applied(stored: bytes, delta: Mapping[int, int]) -> array[int]:
    """A stored run with a difference applied: the new sorted values.

    The run stays one C array: the difference's few values are found by bisection and
    the run is cut and joined around them. A live batch changes a handful of an
    agent-day's values, which grow through the day to tens of thousands; turning each
    into a Python object (a multiset, then sorted) made this a fifth of a busy scoring
    process by the tenth minute of the soak (docs/throughput.md).

    Raises ValueError when the difference removes a value the run does not hold: the
    stored rows and the buyers' stored contributions disagree (never for a correct
    history: each buyer only removes what it added)."""
    values = decode(stored)
    removed = sorted(v for v, c in delta.items() if c < 0)
    if removed:
        parts, start = [], 0
        for value in removed:
            i, n = bisect_left(values, value, start), -delta[value]
            # sorted and values[i] >= value: the last of n equal to it means all n are
            if i + n > len(values) or values[i + n - 1] != value:
                raise ValueError("response-time difference removes values the stored day lacks")
            parts.append(values[start:i])
            start = i + n
        parts.append(values[start:])
        values = _joined(parts)
    added = sorted(v for v, c in delta.items() if c > 0)
    if added:
        parts, start = [], 0
        for value in added:
            i = bisect_left(values, value, start)
            parts += (values[start:i], array("q", [value]) * delta[value])
            start = i
        parts.append(values[start:])
        values = _joined(parts)
    return values


def _joined(parts: list[array[int]]) -> array[int]:
    out = array("q")
    for part in parts:
        out.extend(part)  # same type: a memory copy
    return out


# -- reading: exact nearest-rank percentiles over merged runs ---------------------------


class Unfetched(LookupError):
    """A percentile needs values of a run that the reader has not fetched yet."""


def _folded(headers: int, count: int) -> int:
    """The sum of `count` headers held side by side in one integer (little-endian): its
    upper half added onto its lower half until one header is left, a few big-integer
    steps rather than a slice and an addition per header (carry-free while every
    bound's sum stays below 2³²: the caller's condition)."""
    while count > 1:
        half = count // 2
        shift = half * HEADER * 8
        upper = headers >> shift
        headers = headers - (upper << shift) + upper
        count -= half
    return headers


@dataclass(slots=True, eq=False)
class Block:
    """Runs held by their histograms only, as the rollup reader reads them: one row's
    runs of one column (first responses or not) of one shop, their histograms one after
    another (`headers`) and sizes (`sizes`: values per run), and their
    rows: where each row version lies and which it is (`tids`, `xmins`: Postgres array
    items, space-separated, for fetching values from exactly those versions) and its key
    (`agents`, `days`, for reading it again whole when it changed meanwhile)."""

    shop_id: str
    first: bool
    headers: bytes
    sizes: Sequence[int]
    tids: str
    xmins: str
    agents: Sequence[str]
    days: Sequence[Any]
    n: int = 0
    _counts: array[int] | None = None
    _totals: list[int] | None = None

    def __post_init__(self) -> None:
        self.n = sum(self.sizes)

    def totals(self) -> list[int]:
        """Σ over the runs of the count below every bound (as Runs adds whole runs')."""
        if self._totals is None:
            h = self.headers
            if self.n < _CARRY_FREE:
                total = _folded(int.from_bytes(h, "little"), len(h) // HEADER)
                self._totals = _fields(total.to_bytes(HEADER, "little"))
            else:
                width, counts = len(BOUNDS), self.counts()
                self._totals = [sum(counts[b::width]) for b in range(width)]
        return self._totals

    def counts(self) -> array[int]:
        """The runs' histograms side by side: a bound's counts of all runs are a slice."""
        if self._counts is None:
            self._counts = array("I", self.headers)
            if not _LITTLE:
                self._counts.byteswap()
        return self._counts

    def spans(self, bucket: int) -> tuple[Sequence[int], Sequence[int]]:
        """Of every run, the indexes [lo, hi) of its values in the bucket."""
        width, counts = len(BOUNDS), self.counts()
        los = counts[bucket - 1 :: width] if bucket else [0] * len(self.sizes)
        return los, counts[bucket::width] if bucket < width else self.sizes


class Runs:
    """Stored runs (one per agent-day) of one row, and their k-th smallest value.

    The k-th smallest is found without decoding the runs: the runs' cumulative
    histograms, summed, give the bucket holding it and how many values lie below that
    bucket; only that bucket's values are decoded and sorted. Runs held whole (`blobs`)
    give them at once; of runs held by their histograms only (`blocks`), the reader
    fetches them beforehand, all of a bucket's in one piece (`wanted` says which
    buckets, `found` holds them: docs/percentiles.md)."""

    __slots__ = ("_counts", "_totals", "blobs", "blocks", "found", "n")

    def __init__(self, blobs: Iterable[bytes] = (), blocks: Iterable[Block] = ()) -> None:
        self._set(blobs, blocks)

    def _set(self, blobs: Iterable[bytes], blocks: Iterable[Block]) -> None:
        self.blobs = [b for b in blobs if len(b) > HEADER]
        self.blocks = [b for b in blocks if b.n]
        self.n = sum(len(b) - HEADER for b in self.blobs) // 8 + sum(b.n for b in self.blocks)
        # bucket -> the values (int64 bytes) in it of the blocks' runs
        self.found: dict[int, bytes] = {}
        self._totals: list[int] | None = None
        self._counts: array[int] | None = None

    def extend(self, other: Runs) -> Runs:
        return Runs(self.blobs + other.blobs, self.blocks + other.blocks)

    def replace_blocks(self, blobs: Iterable[bytes]) -> None:
        """The blocks' runs read again whole (their rows changed since the histograms
        were read): hold those instead, and forget what was found. The blocks stay as
        they were for other Runs holding them."""
        self._set(chain(self.blobs, blobs), ())

    def _summed(self) -> list[int]:
        """Σ over the runs of the count below every bound."""
        if self._totals is None and not self.blobs and len(self.blocks) == 1:
            self._totals = self.blocks[0].totals()  # a row as read: its block's (not copied)
        if self._totals is None:
            blob_values = sum(len(b) - HEADER for b in self.blobs) // 8
            if blob_values < _CARRY_FREE:
                total = sum(int.from_bytes(b[:HEADER], "little") for b in self.blobs)
                totals = _fields(total.to_bytes(HEADER, "little"))
            else:
                totals = [0] * len(BOUNDS)
                for b in self.blobs:
                    totals = list(map(add, totals, _fields(b[:HEADER])))
            for block in self.blocks:
                totals = list(map(add, totals, block.totals()))
            self._totals = totals
        return self._totals

    def bucket(self, k: int) -> tuple[int, int]:
        """(the bucket holding the k-th smallest value, how many values lie below it):
        bucket b holds the values at least BOUNDS[b - 1] and below BOUNDS[b] (the last,
        b = len(BOUNDS), the values from the last bound on)."""
        if not 1 <= k <= self.n:
            raise IndexError(f"k={k} outside 1..{self.n}")
        totals = self._summed()
        bucket = bisect_left(totals, k)  # the first bound with at least k values below
        return bucket, totals[bucket - 1] if bucket else 0

    def _whole_values(self, bucket: int) -> bytes:
        """The values in the bucket of the runs held whole: their histograms side by
        side in one array, a bound's counts of all runs are one slice of it."""
        blobs = self.blobs
        if not blobs:
            return b""
        counts = self._counts
        if counts is None:
            counts = self._counts = array("I", b"".join(b[:HEADER] for b in blobs))
            if not _LITTLE:
                counts.byteswap()
        width = len(BOUNDS)
        los: Iterable[int] = counts[bucket - 1 :: width] if bucket else [0] * len(blobs)
        his: Iterable[int] = (
            counts[bucket::width] if bucket < width else [(len(b) - HEADER) // 8 for b in blobs]
        )
        return b"".join(
            [
                blob[HEADER + 8 * lo : HEADER + 8 * hi]
                for blob, lo, hi in zip(blobs, los, his, strict=True)
                if hi > lo
            ]
        )

    def wanted(self, k: int) -> int | None:
        """The bucket whose values (of the blocks' runs) the k-th value needs and that is
        not fetched yet; None when none is."""
        if not self.blocks:
            return None
        bucket, _ = self.bucket(k)
        return None if bucket in self.found else bucket

    def kth(self, k: int) -> int:
        """The k-th smallest value (1-based), 1 ≤ k ≤ n."""
        bucket, below = self.bucket(k)
        values = self._whole_values(bucket)
        if self.blocks:
            fetched = self.found.get(bucket)
            if fetched is None:
                raise Unfetched(f"the values in bucket {bucket} are not fetched")
            values += fetched
        if _LITTLE:  # the bytes read as int64 where they are (no copy into an array)
            return sorted(memoryview(values).cast("q"))[k - below - 1]
        found = array("q")
        found.frombytes(values)
        found.byteswap()
        return sorted(found)[k - below - 1]

    def values(self) -> list[int]:
        """Every value of the runs held whole, sorted (tests)."""
        return sorted(chain.from_iterable(map(decode, self.blobs)))


def rank(n: int, numerator: int, denominator: int) -> int:
    """Nearest rank ⌈q·n⌉ for q = numerator/denominator, in exact integer arithmetic."""
    return -(-n * numerator // denominator)


@dataclass(slots=True)
class Spread:
    """The response times of one row (any agents, any days): what its percentiles read."""

    responses: Runs = field(default_factory=Runs)
    first: Runs = field(default_factory=Runs)

    def __add__(self, other: Spread) -> Spread:
        return Spread(self.responses.extend(other.responses), self.first.extend(other.first))

    @classmethod
    def total(cls, spreads: Iterable[Spread]) -> Spread:
        """The spreads summed in one step (a + b + … would copy the runs at every +)."""
        spreads = list(spreads)

        def runs(source: str) -> Runs:
            held: list[Runs] = [getattr(s, source) for s in spreads]
            blobs = chain.from_iterable(r.blobs for r in held)
            return Runs(blobs, chain.from_iterable(r.blocks for r in held))

        return cls(runs("responses"), runs("first"))

    @classmethod
    def of_rows(cls, response_us: Iterable[bytes], first_response_us: Iterable[bytes]) -> Spread:
        """From stored agent-day rows (agent_responses columns), one run per row."""
        return cls(Runs(response_us), Runs(first_response_us))

    @classmethod
    def of_times(cls, times: Iterable[ResponseTimes]) -> Spread:
        """From write-side multisets (tests, the core's totals)."""
        out = cls()
        for t in times:
            out = out + cls(
                Runs([encode(_expanded(t.responses))]), Runs([encode(_expanded(t.first))])
            )
        return out

    def wanted(self, percentiles: Iterable[tuple[str, int, int]]) -> set[tuple[str, int]]:
        """(source, bucket) of every bucket that these percentiles (source, numerator,
        denominator) need the values of, from runs held without them."""
        out = set()
        for source, numerator, denominator in percentiles:
            runs: Runs = getattr(self, source)
            if runs.n:
                bucket = runs.wanted(rank(runs.n, numerator, denominator))
                if bucket is not None:
                    out.add((source, bucket))
        return out

    def percentile(self, source: str, numerator: int, denominator: int) -> int | None:
        """Nearest-rank percentile in µs of `responses` or `first`; None when empty."""
        runs: Runs = getattr(self, source)
        if runs.n == 0:
            return None
        return runs.kth(rank(runs.n, numerator, denominator))


def combine(a: Spread | None, b: Spread | None) -> Spread | None:
    if a is None:
        return b
    return a if b is None else a + b
