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
    if any(c < 0 for c in values.values()):
        raise ValueError("a multiset with negative counts has no values")
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
    return [int.from_bytes(header[i : i + FIELD], "little") for i in range(0, HEADER, FIELD)]


def _count(blob: bytes, bound: int) -> int:
    """How many values of a stored run lie below BOUNDS[bound]."""
    at = FIELD * bound
    return int.from_bytes(blob[at : at + FIELD], "little")


def applied(stored: bytes, delta: Mapping[int, int]) -> list[int]:
    """A stored run with a difference applied: the new sorted values.

    Raises ValueError when the difference removes a value the run does not hold: the
    stored rows and the buyers' stored contributions disagree (never for a correct
    history: each buyer only removes what it added)."""
    counts: Multiset = {}
    for value in decode(stored):
        counts[value] = counts.get(value, 0) + 1
    counts = _plus(counts, delta, 1)
    if any(c < 0 for c in counts.values()):
        raise ValueError("response-time difference removes values the stored day lacks")
    return _expanded(counts)


# -- reading: exact nearest-rank percentiles over merged runs ---------------------------


class Runs:
    """Stored runs (one per agent-day) of one row, and their k-th smallest value.

    The k-th smallest is found without decoding the runs: the runs' cumulative
    histograms, summed, give the bucket holding it and how many values lie below that
    bucket; only that bucket's slice of every run is decoded and sorted."""

    __slots__ = ("_totals", "blobs", "n")

    def __init__(self, blobs: Iterable[bytes] = ()) -> None:
        self.blobs: list[bytes] = [b for b in blobs if len(b) > HEADER]
        self.n = sum(len(b) - HEADER for b in self.blobs) // 8
        self._totals: list[int] | None = None

    def extend(self, other: Runs) -> Runs:
        return Runs(chain(self.blobs, other.blobs))

    def _summed(self) -> list[int]:
        """Σ over the runs of the count below every bound."""
        if self._totals is None:
            if self.n < _CARRY_FREE:
                total = sum(int.from_bytes(b[:HEADER], "little") for b in self.blobs)
                self._totals = _fields(total.to_bytes(HEADER, "little"))
            else:
                totals = [0] * len(BOUNDS)
                for b in self.blobs:
                    totals = list(map(add, totals, _fields(b[:HEADER])))
                self._totals = totals
        return self._totals

    def kth(self, k: int) -> int:
        """The k-th smallest value (1-based), 1 ≤ k ≤ n."""
        if not 1 <= k <= self.n:
            raise IndexError(f"k={k} outside 1..{self.n}")
        if len(self.blobs) == 1:
            at = HEADER + 8 * (k - 1)
            return int.from_bytes(self.blobs[0][at : at + 8], "little", signed=True)
        totals = self._summed()
        bucket = bisect_left(totals, k)  # the first bound with at least k values below
        below = totals[bucket - 1] if bucket else 0
        last = bucket == len(BOUNDS)
        pieces = []
        for blob in self.blobs:
            lo = HEADER + 8 * (_count(blob, bucket - 1) if bucket else 0)
            hi = len(blob) if last else HEADER + 8 * _count(blob, bucket)
            if hi > lo:
                pieces.append(blob[lo:hi])
        found = array("q")
        found.frombytes(b"".join(pieces))
        if not _LITTLE:
            found.byteswap()
        return sorted(found)[k - below - 1]

    def values(self) -> list[int]:
        """Every value, sorted (tests, small rows)."""
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
