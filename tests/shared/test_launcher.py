"""`make run`'s launcher: brings the real stack up and leaves nothing behind on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from shared.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]


class _Output:
    """Collects a child's output on a thread so the test can wait for a line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(target=lambda: self.lines.extend(stream), daemon=True).start()

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = "".join(self.lines)
            if text in seen:
                return seen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not printed in {timeout} s:\n{''.join(self.lines)[-3000:]}")


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


def test_launcher_starts_the_stack_and_stops_everything(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "ADMIN_TOKEN"}
    }
    env.update(DATA_DIR=str(tmp_path), API_PORT=str(free_port()), DEMO="0", LOG_FORMAT="json")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "shared.launcher"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = _Output(launcher).wait_for("kefu-scorecard is up", timeout=120)
        assert "admin token" in output
        time.sleep(2)  # let the services get going
        postmaster = _postmaster_pid(tmp_path)
        assert postmaster is not None and psutil.pid_exists(postmaster)
        started = [p.pid for p in psutil.Process(launcher.pid).children(recursive=True)]
        assert started, "the launcher started no process"
        assert any("tansu" in " ".join(psutil.Process(p).cmdline()) for p in started)
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 0
        time.sleep(0.5)
        alive = [
            p
            for p in [*started, postmaster]
            if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
        ]
        assert alive == [], f"left running after SIGTERM: {alive}"
        assert _postmaster_pid(tmp_path) is None
    finally:
        if launcher.poll() is None:
            launcher.kill()
