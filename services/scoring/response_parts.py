"""An agent-day's response times in two stored parts (agent_responses.part, SPEC §11).

A batch's difference used to be applied to the agent-day's whole sorted run, read and
written back every batch. The run grows through the day (a busy agent's reaches hundreds
of kilobytes by mid-morning), so live scoring's work and Postgres' writes grew with the
hour (docs/throughput.md, "Live traffic"). Now the day is two runs whose multisets add up
to it, and readers already sum runs:

- the *settled* part (0): rewritten only when recent values are merged into it;
- the *recent* part (1): what live batches add, rewritten by each batch that touches the
  agent-day, and merged into the settled part once it holds more than RECENT_CAP
  response times, so that it stays a few kilobytes in its row (no TOAST).

A difference that removes a value the recent part lacks (a late event changes a response
that was merged already) merges too: the settled part then takes recent + difference in
one step. Which values sit in which part depends on batching; their sum never does.

Pure: bytes in, sorted arrays out; rollups.py reads and writes the rows.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Mapping

from domain.spread import ResponseTimes, applied, decode

SETTLED, RECENT = 0, 1
#: response times the recent part holds at most (the first responses are a subset: both
#: runs with their histograms, ≤ 2 × (8 × 400 + 520) bytes, stay inline in the row)
RECENT_CAP = 400

Run = array  # sorted int64 µs


def recent_applied(
    recent: tuple[bytes, bytes], delta: ResponseTimes, *, cap: int | None = None
) -> tuple[Run, Run] | None:
    """The recent part (response times, first response times) with the difference
    applied, or None when the agent-day must be merged: the difference removes a value
    the recent part lacks, or the part would hold more than `cap` (RECENT_CAP)
    response times."""
    try:
        responses = applied(recent[0], delta.responses)
        first = applied(recent[1], delta.first)
    except ValueError:
        return None
    return None if len(responses) > (RECENT_CAP if cap is None else cap) else (responses, first)


def merged(
    settled: tuple[bytes, bytes], recent: tuple[bytes, bytes], delta: ResponseTimes
) -> tuple[Run, Run]:
    """The agent-day's whole run: settled + recent + difference (the new settled part).

    Raises ValueError when the difference removes a value the day lacks (the stored rows
    and the buyers' stored contributions disagree: never for a correct history)."""
    return (
        applied(settled[0], _with_run(delta.responses, recent[0])),
        applied(settled[1], _with_run(delta.first, recent[1])),
    )


def _with_run(delta: Mapping[int, int], run: bytes) -> Counter[int]:
    out = Counter(decode(run))
    for value, count in delta.items():
        out[value] += count
    return out  # zero counts are skipped by `applied`
