"""The spread of response times (SPEC §11): exact nearest-rank percentiles over any rows.

A percentile does not add up like a count, so the rollups keep what it is computed from:
every response_seconds of an agent's day, at the data's native resolution (integer
microseconds: timestamps are exact to the microsecond, and a response time is a
difference of two). Two forms:

- `ResponseTimes`, the write side: a multiset value -> count of response times and one of
  first response times. A buyer's contribution has positive counts; the difference
  between a buyer's new and old contribution may have negative ones, and adding it to
  an agent-day's stored multiset gives exactly the batch result, whatever the order.
- `Spread`, the read side: one sorted run per stored agent-day (agent_responses rows),
  merged lazily when a percentile is asked; `kth` selects the k-th smallest over the runs
  without merging them when they are long (docs/percentiles.md: design and cost).

Agent-day rows are stored as sorted little-endian int64 arrays (`encode`/`decode`).
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from heapq import merge
from itertools import chain, repeat
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


# -- storage: sorted little-endian int64 ------------------------------------------------


def encode(values: Sequence[int]) -> bytes:
    """Sorted values as little-endian int64 bytes (agent_responses columns)."""
    packed = array("q", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def decode(data: bytes) -> array[int]:
    packed = array("q")
    packed.frombytes(data)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed


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

# Below this many values (or with runs this short on average) a row's runs are merged
# into one sorted list; above it the k-th value is selected by bisecting the value range
# (docs/percentiles.md).
SORT_LIMIT = 4096
SELECT_RUN = 64


class Runs:
    """Sorted runs of values (one per agent-day) of one row; their k-th smallest."""

    __slots__ = ("_merged", "n", "runs")

    def __init__(self, runs: Iterable[Sequence[int]] = ()) -> None:
        self.runs: list[Sequence[int]] = [r for r in runs if len(r)]
        self.n = sum(map(len, self.runs))
        self._merged: list[int] | None = None

    def extend(self, other: Runs) -> Runs:
        return Runs(chain(self.runs, other.runs))

    def kth(self, k: int) -> int:
        """The k-th smallest value (1-based), 1 ≤ k ≤ n."""
        if not 1 <= k <= self.n:
            raise IndexError(f"k={k} outside 1..{self.n}")
        runs = self.runs
        if len(runs) == 1:
            return runs[0][k - 1]
        if self.n <= SORT_LIMIT or self.n < SELECT_RUN * len(runs):
            if self._merged is None:
                self._merged = sorted(chain.from_iterable(runs))
            return self._merged[k - 1]
        return _select(runs, k)

    def values(self) -> list[int]:
        """Every value, sorted (tests, small rows)."""
        return list(merge(*self.runs))


def _select(runs: Sequence[Sequence[int]], k: int) -> int:
    """The smallest x with at least k values ≤ x: a value of the runs (integers)."""
    lo = min(r[0] for r in runs)
    hi = max(r[-1] for r in runs)
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(map(bisect_right, runs, repeat(mid))) >= k:
            hi = mid
        else:
            lo = mid + 1
    return lo


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
        return cls(Runs(map(decode, response_us)), Runs(map(decode, first_response_us)))

    @classmethod
    def of_times(cls, times: Iterable[ResponseTimes]) -> Spread:
        """From write-side multisets (tests, the core's totals)."""
        out = cls()
        for t in times:
            out = out + cls(Runs([_expanded(t.responses)]), Runs([_expanded(t.first)]))
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
