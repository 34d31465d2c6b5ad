"""Response-time spreads (SPEC §11 percentiles): selection, storage and differences,
each against a brute force."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import spread
from domain.spread import ResponseTimes, Runs, Spread, applied, decode, encode, rank

_VALUES = st.integers(min_value=0, max_value=2**40) | st.integers(0, 200).map(lambda s: s * 10**6)
_RUNS = st.lists(
    st.lists(_VALUES | st.sampled_from([0, 1, 5, 5_000_000]), max_size=40), max_size=12
)


def test_nearest_rank_is_the_ceiling_in_integers() -> None:
    # ⌈0.9·n⌉ in floats goes wrong where 0.9·n is a hair above an integer; integers never.
    assert [rank(n, 9, 10) for n in (1, 9, 10, 11, 20, 30)] == [1, 9, 9, 10, 18, 27]
    assert [rank(n, 1, 2) for n in (1, 2, 3, 4)] == [1, 1, 2, 2]
    for n in range(1, 5000):
        assert rank(n, 9, 10) == -(-9 * n // 10) and (rank(n, 9, 10) - 1) * 10 < 9 * n


@given(runs=_RUNS, data=st.data())
def test_kth_is_the_brute_force_kth(runs: list[list[int]], data: st.DataObject) -> None:
    merged = Runs(encode(sorted(r)) for r in runs)
    everything = sorted(v for r in runs for v in r)
    assert merged.n == len(everything) and merged.values() == everything
    if everything:
        k = data.draw(st.integers(min_value=1, max_value=len(everything)))
        assert merged.kth(k) == everything[k - 1]
        assert merged.kth(rank(merged.n, 9, 10)) == everything[-(-len(everything) * 9 // 10) - 1]
        assert merged.kth(1) == everything[0] and merged.kth(merged.n) == everything[-1]
    with pytest.raises(IndexError):
        merged.kth(merged.n + 1)


def test_the_histogram_counts_values_below_every_bound() -> None:
    values = [0, 999_999, 1_000_000, 1_000_000, 59_000_000, 7 * 3600 * 10**6, 10**12]
    header = spread._fields(encode(values)[: spread.HEADER])
    assert len(header) == len(spread.BOUNDS)
    assert all(h == sum(v < b for v in values) for h, b in zip(header, spread.BOUNDS, strict=True))


def test_percentile_of_an_empty_spread_is_none() -> None:
    assert Spread().percentile("responses", 1, 2) is None
    one = Spread.of_rows([encode([3, 7])], [encode([])])
    assert one.percentile("responses", 1, 2) == 3 and one.percentile("first", 1, 2) is None


@given(st.lists(_VALUES))
def test_storage_round_trips_sorted_int64(values: list[int]) -> None:
    values.sort()
    assert list(decode(encode(values))) == values


@given(
    old=st.lists(_VALUES, max_size=20),
    new=st.lists(_VALUES, max_size=20),
    other=st.lists(_VALUES, max_size=20),
)
def test_applying_a_difference_gives_the_new_multiset(
    old: list[int], new: list[int], other: list[int]
) -> None:
    # A day holds another buyer's values and this buyer's old ones; the buyer's new
    # derivation replaces old by new: the day then holds other + new.
    def times(values: list[int]) -> ResponseTimes:
        t = ResponseTimes()
        for v in values:
            t.add(v, first=False)
        return t

    delta = times(new) - times(old)
    stored = encode(sorted(other + old))
    assert applied(stored, delta.responses).tolist() == sorted(other + new)
    assert (times(old) + delta) == times(new)
    assert ResponseTimes.from_json(times(new).to_json()) == times(new)


def test_removing_a_value_the_day_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks"):
        applied(encode([1, 2]), {3: -1})
    with pytest.raises(ValueError, match="lacks"):  # more copies than the day holds
        applied(encode([1, 5, 5, 9]), {5: -3})
    with pytest.raises(ValueError, match="lacks"):  # past the last value
        applied(encode([1, 5]), {7: -1})
    assert applied(encode([1, 5, 5, 9]), {5: -2, 9: 2, 0: 1}).tolist() == [0, 1, 9, 9, 9]


def test_rows_past_the_carry_free_size_sum_field_by_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spread, "_CARRY_FREE", 1)  # every row takes the slow, exact path
    runs = [[5, 5_000_000, 61_000_000], [0, 5_000_000], [10**11]]
    merged = Runs(encode(r) for r in runs)
    everything = sorted(v for r in runs for v in r)
    assert [merged.kth(k) for k in range(1, 7)] == everything


def _block(runs: list[list[int]], first: bool = False) -> tuple[spread.Block, list[bytes]]:
    """Runs held by their histograms only, as the rollup reader reads them."""
    blobs = [encode(sorted(r)) for r in runs]
    block = spread.Block(
        "shop",
        first,
        b"".join(b[: spread.HEADER] for b in blobs),
        [len(r) for r in runs],
        " ".join(f'"(0,{i})"' for i in range(len(runs))),
        " ".join("1" for _ in runs),
        ["a"] * len(runs),
        list(range(len(runs))),
    )
    return block, blobs


def _fetch(runs: Runs, blobs: dict[int, list[bytes]], bucket: int) -> None:
    """What the reader's values statement returns: each block's runs' slices in the
    bucket, concatenated (here cut from the stored bytes)."""
    pieces = []
    for block in runs.blocks:
        los, his = block.spans(bucket)
        for blob, lo, hi in zip(blobs[id(block)], los, his, strict=True):
            pieces.append(blob[spread.HEADER + 8 * lo : spread.HEADER + 8 * hi])
    runs.found[bucket] = b"".join(pieces)


@given(runs=_RUNS, whole=_RUNS, data=st.data())
def test_runs_held_by_histograms_give_the_brute_force_kth(
    runs: list[list[int]], whole: list[list[int]], data: st.DataObject
) -> None:
    # Two blocks (two rows summed, as a mentor team) and runs held whole, mixed.
    half = len(runs) // 2
    (a, a_blobs), (b, b_blobs) = _block(runs[:half]), _block(runs[half:])
    merged = Runs((encode(sorted(r)) for r in whole), (a, b))
    everything = sorted(v for r in runs + whole for v in r)
    assert merged.n == len(everything)
    if not everything:
        return
    k = data.draw(st.integers(min_value=1, max_value=len(everything)))
    bucket = merged.wanted(k)
    if not merged.blocks:  # no values in the blocks' runs: nothing to fetch
        assert bucket is None
    else:
        assert bucket is not None
        with pytest.raises(spread.Unfetched):
            merged.kth(k)
        _fetch(merged, {id(a): a_blobs, id(b): b_blobs}, bucket)
        assert merged.wanted(k) is None
    assert merged.kth(k) == everything[k - 1]


def test_values_on_the_bounds_and_past_the_last() -> None:
    # A value equal to a bound lies in the bucket above it; the last bucket is unbounded.
    top = spread.BOUNDS[-1]
    runs = [[0, 999_999, 1_000_000, 1_000_000, top - 1, top, top, 10 * top], [1_000_000, top]]
    block, blobs = _block(runs)
    merged = Runs(blocks=(block,))
    everything = sorted(v for r in runs for v in r)
    for k in range(1, len(everything) + 1):
        bucket = merged.wanted(k)
        if bucket is not None:
            _fetch(merged, {id(block): blobs}, bucket)
        assert merged.kth(k) == everything[k - 1]
    assert merged.bucket(len(everything)) == (len(spread.BOUNDS), 6)  # 4 from the top on
    assert merged.bucket(3) == (1, 2)


def test_a_blocks_histograms_summed_by_halves_are_summed_bound_by_bound() -> None:
    rng = random.Random(3)
    for count in (1, 2, 3, 5, 30, 31, 366):
        runs = [
            [rng.randint(0, 6 * 10**8) for _ in range(rng.randint(0, 40))] for _ in range(count)
        ]
        block, _ = _block(runs)
        assert block.totals() == [sum(v < b for r in runs for v in r) for b in spread.BOUNDS]
