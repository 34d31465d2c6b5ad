"""The throughput benches `make bench` calls work end to end (small N here; the speed they
measure is a bench row, never asserted): end to end through a `make run` stack, scoring's
memory through a backlog, rescore at scale with a reader watching."""

from __future__ import annotations

import tempfile

import pytest

from bench import e2e_bench, memory_bench, rescore_bench

pytestmark = pytest.mark.slow


async def test_e2e_run_sees_every_number_through_the_api() -> None:
    events = e2e_bench.bench_events(3000)
    with tempfile.TemporaryDirectory(prefix="kefu-e2e-test-") as tmp:
        result = await e2e_bench.one_run(events, tmp)
    assert result["events"] == 3000
    assert result["agent_day_rows"] > 0 and result["seconds"] > 0
    assert result["bare_consumer_per_s"] > 0
    # Every process of the stack was found and measured.
    assert {"ingest", "scoring", "api", "postgres", "broker"} <= set(result["cpu_us_per_event"])
    assert result["cpu_us_per_event"]["scoring"] > 0 and result["wal_bytes_per_event"] > 0
    assert result["buyers_rederived"] and result["buyers_rederived"] > 0


async def test_memory_run_scores_the_whole_backlog(postgres_url: str) -> None:
    result = await memory_bench.run(postgres_url, 4000, 4)
    valid = result["records"]
    assert 3000 < valid <= 4000  # the mix's invalid events are not put
    assert result["peak_rss_mb"] > 0


async def test_rescore_run_swaps_atomically_and_shows_progress(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.scoring.rescore as rescore

    monkeypatch.setattr(rescore, "CHUNK_BUYERS", 50)  # many progress steps on a small shop
    result = await rescore_bench.run(postgres_url, 6000)
    assert result["stored"] > 5000
    assert result["numbers_changed"] and not result["reader_saw_a_mix"]
    assert result["progress_steps"] >= 2
