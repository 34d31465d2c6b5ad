"""`make run`, Ctrl-C, `make run` with the demo: nothing the demo sent is lost or skipped.

Each run starts a new, empty embedded broker over the kept database (Tansu keeps its logs
in memory), so every stored offset belongs to a log that is gone. The demo records every
event the broker acknowledged (SIMULATOR_RECORD). A third run without the demo lets the
stack settle; then the demo shop's numbers must equal the SPEC oracle over every recorded
event of both runs.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from domain.parts import AgentDayParts
from shared.db import libpq_conninfo
from shared.embedded import free_port
from tests.oracle.compare import oracle_rows
from tests.shared.test_launcher import Launcher

ROOT = Path(__file__).resolve().parents[2]
SHOP = "demo-shop"
pytestmark = pytest.mark.slow


def _launch(data_dir: Path, record: Path, *, demo: bool) -> Launcher:
    return Launcher(
        data_dir,
        API_PORT=str(free_port()),
        DEMO="1" if demo else "0",
        DEMO_RATE="20",
        DEMO_HISTORY_DAYS="0",  # the weeks of history: tests/simulator (here only live traffic)
        SIMULATOR_RECORD=str(record),
        LOG_FORMAT="json",
        INGEST_METRICS_PORT="0",
        SCORING_METRICS_PORT="0",
        WEBHOOK_METRICS_PORT="0",
    )


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _ctrl_c(launcher: Launcher) -> None:
    launcher.process.send_signal(signal.SIGINT)
    assert launcher.process.wait(timeout=120) == 0, launcher.output()[-3000:]


def _run_with_demo(data_dir: Path, record: Path) -> None:
    """Up, the demo's warm-up history sent, some live traffic, then Ctrl-C."""
    launcher = _launch(data_dir, record, demo=True)
    try:
        launcher.wait_for("kefu-scorecard is up", timeout=180)
        launcher.wait_for("streaming 20 events/s live", timeout=180)
        sent = _lines(record)
        _wait(lambda: _lines(record) >= sent + 60, 120, "live demo traffic")
        _ctrl_c(launcher)
    finally:
        if launcher.process.poll() is None:
            launcher.process.kill()


def _uncovered(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM chat_messages c JOIN shops s USING (shop_id)"
        "  WHERE s.shop_id = %(s)s AND c.ingest_xid >= s.raw_covered_xid)"
        " OR EXISTS (SELECT FROM order_events o JOIN shops s USING (shop_id)"
        "  WHERE s.shop_id = %(s)s AND o.ingest_xid >= s.raw_covered_xid)",
        {"s": SHOP},
    ).fetchone()
    return bool(row and row[0])


def _stored(conn: psycopg.Connection[Any], table: str, key: tuple[str, ...]) -> dict[Any, Any]:
    cur = conn.execute(f"SELECT * FROM {table} WHERE shop_id = %s", (SHOP,))
    names = [c.name for c in cur.description or ()]
    out = {}
    for row in cur.fetchall():
        values = dict(zip(names, row, strict=True))
        out[tuple(values[k] for k in key)] = values
    return out


# Three launches of the whole stack: ~4 minutes on a quiet machine, so more than the
# suite's 300 s default under load.
@pytest.mark.timeout(900)
def test_make_run_twice_with_the_demo_loses_nothing(tmp_path: Path) -> None:
    data_dir, record = tmp_path / "data", tmp_path / "sent.jsonl"
    _run_with_demo(data_dir, record)
    first = _lines(record)
    _run_with_demo(data_dir, record)
    assert _lines(record) > first > 0

    launcher = _launch(data_dir, record, demo=False)
    try:
        seen = launcher.wait_for("kefu-scorecard is up", timeout=180)
        url = re.search(r"Postgres\s+(?:embedded, )?(\S+)", seen)
        assert url is not None
        with psycopg.connect(libpq_conninfo(url.group(1)), autocommit=True) as conn:
            _wait(lambda: not _uncovered(conn), 120, "the catch-up from the raw tables")
            agents = _stored(conn, "agent_daily", ("shop_id", "agent_id", "day"))
            shops = _stored(conn, "shop_daily", ("shop_id", "day"))
            # The demo registers its shop with business hours (SPEC §11): the oracle must
            # apply them too, or a run outside them (00:00-08:00 in Shanghai) differs.
            settings = conn.execute("SELECT settings FROM shops WHERE shop_id = %s", (SHOP,))
            shop_settings = (settings.fetchone() or ({},))[0]
        _ctrl_c(launcher)
    finally:
        if launcher.process.poll() is None:
            launcher.process.kill()

    events = [orjson.loads(line) for line in record.read_bytes().splitlines()]
    assert shop_settings.get("business_hours")  # the demo's, or this test would miss them
    expected_agents, expected_shops = oracle_rows(events, {SHOP: shop_settings}, {})
    assert expected_agents and sum(r["buyer_messages"] for r in expected_agents.values()) > 100
    names = tuple(next(iter(expected_agents.values())))
    assert set(AgentDayParts.FIELDS) - AgentDayParts.DECIMAL_FIELDS <= set(names)
    stored_agents = {
        k: {n: v[n] for n in names} for k, v in agents.items() if any(v[n] for n in names)
    }
    assert stored_agents == expected_agents
    shop_names = tuple(next(iter(expected_shops.values())))
    stored_shops = {
        k: {n: v[n] for n in shop_names} for k, v in shops.items() if any(v[n] for n in shop_names)
    }
    assert stored_shops == expected_shops
