"""`make run`'s launcher: two stacks side by side on one machine, each brought up quietly
with its banner last before the live logs, and nothing left behind on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

from tests.fixtures.environ import without_stack_variables

ROOT = Path(__file__).resolve().parents[2]
BANNER = "kefu-scorecard is up"
# Each service's "I am up" event: printed before the banner, never after it.
STARTED = ("ingest_started", "scoring_worker_started", "webhook_dispatcher_started")


class Launcher:
    """One `python -m shared.launcher`, its output collected on a thread."""

    def __init__(self, data_dir: Path, **environ: str) -> None:
        env = without_stack_variables()  # the launcher chooses ports and the rest
        env.update(DATA_DIR=str(data_dir), DEMO="0")
        env.update(environ)
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.launcher"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        stream = self.process.stdout
        assert stream is not None
        threading.Thread(target=lambda: self.lines.extend(stream), daemon=True).start()

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, self.output()[-3000:]
            assert time.monotonic() < deadline, f"{text!r} not printed:\n{self.output()[-3000:]}"
            time.sleep(0.2)
        return self.output()

    def field(self, name: str) -> str:
        match = re.search(rf"^\s+{name}\s+(.+)$", self.output(), re.MULTILINE)
        assert match, (name, self.output()[-3000:])
        return match.group(1).strip()

    def postmaster(self) -> int | None:
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


def _alive(pids: list[int]) -> list[int]:
    return [
        p
        for p in pids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]


def test_two_stacks_side_by_side_then_everything_stops(tmp_path: Path) -> None:
    # The second starts once the first is up (two launchers choosing ports in the same
    # instant could both find a default free): then both run at once.
    stacks = [Launcher(tmp_path / "a")]
    try:
        stacks[0].wait_for(BANNER, timeout=240)
        stacks.append(Launcher(tmp_path / "b"))
        stacks[1].wait_for(BANNER, timeout=240)
        apis = [stack.field("API") for stack in stacks]
        metrics = [stack.field("metrics") for stack in stacks]
        assert apis[0] != apis[1] and metrics[0] != metrics[1]  # every port its own
        for stack, api in zip(stacks, apis, strict=True):
            assert httpx.get(f"{api}/readyz", timeout=10).status_code == 200
            output = stack.output()
            before, _ = output.split(BANNER, 1)
            for event in STARTED:  # the start-up is over when the banner shows
                assert event in before, (event, before[-3000:])
            # The embedded Postgres starts quietly: its transcript is in its log file.
            assert "initdb" not in output and "pg_ctl" not in output
            assert "initdb" in (stack.data_dir / "postgres.log").read_text()
            assert "Traceback" not in output

        started = {
            id(stack): [p.pid for p in psutil.Process(stack.process.pid).children(recursive=True)]
            for stack in stacks
        }
        postmasters = [stack.postmaster() for stack in stacks]
        assert all(postmasters) and postmasters[0] != postmasters[1]
        for stack in stacks:
            assert any("tansu" in " ".join(psutil.Process(p).cmdline()) for p in started[id(stack)])
            stack.process.send_signal(signal.SIGTERM)
        for stack in stacks:
            assert stack.process.wait(timeout=90) == 0, stack.output()[-3000:]
        everything = [p for pids in started.values() for p in pids] + [
            p for p in postmasters if p is not None
        ]
        deadline = time.monotonic() + 30
        while _alive(everything):  # stopped processes leave the process table
            assert time.monotonic() < deadline, f"left running: {_alive(everything)}"
            time.sleep(0.1)
        assert [stack.postmaster() for stack in stacks] == [None, None]
    finally:
        for stack in stacks:
            if stack.process.poll() is None:
                stack.process.kill()
