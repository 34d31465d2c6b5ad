"""The launcher's child processes: started in their own session, their output relayed.

Each child's stdout and stderr go through a pipe to a thread that prints every line with
the child's name in front (`scoring  | …`), so one terminal shows every service and the
launcher can wait for a line (a service's "started" event) before it prints its banner.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from shared.logging import get_logger

log = get_logger("launcher")

RESTART_BACKOFF_S = (1, 2, 5, 10, 30)
NAME_WIDTH = 8


class Relay:
    """Writes lines from several threads to one stream without tearing them."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        with self.lock:
            try:
                self.out.write(f"{name:<{NAME_WIDTH}} | {text.rstrip()}\n")
                self.out.flush()
            except (BrokenPipeError, ValueError):
                pass  # nobody reads us any more: keep draining the child, or it blocks


@dataclass
class Child:
    name: str
    argv: list[str]
    # A line meaning "up" (the service's start event); None: up once started.
    ready_line: str | None = None
    process: subprocess.Popen[str] | None = None
    restarts: int = 0
    next_start: float = 0.0
    seen: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    # Called with each output line (the launcher reads the demo's API key from it).
    on_line: Callable[[str], None] | None = None
    _relaying: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self, env: dict[str, str], relay: Relay) -> None:
        self.ready.clear()
        # Own session: a terminal's Ctrl-C reaches only the launcher, which stops children
        # in order.
        self.process = subprocess.Popen(
            self.argv,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            errors="replace",
        )
        if self.ready_line is None:
            self.ready.set()
        self._relaying = threading.Thread(
            target=self._relay, args=(self.process, relay), daemon=True
        )
        self._relaying.start()

    def last_line(self, wait_s: float = 5.0) -> str:
        """The last line an exited child wrote (once its relay has read everything)."""
        if self._relaying is not None:
            self._relaying.join(wait_s)
        return self.seen[-1] if self.seen else ""

    def _relay(self, process: subprocess.Popen[str], relay: Relay) -> None:
        assert process.stdout is not None
        for text in process.stdout:
            relay.line(self.name, text)
            self.seen.append(text)
            if self.ready_line is not None and self.ready_line in text:
                self.ready.set()
            if self.on_line is not None:
                self.on_line(text)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 15.0) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("kill_after_timeout", service=self.name)
            process.kill()
            process.wait(timeout=5)


def restart_crashed(children: list[Child], env: dict[str, str], relay: Relay) -> None:
    """One supervision pass: schedule a restart of each exited child, with back-off."""
    now = time.monotonic()
    for child in children:
        code = child.exited()
        if code is None:
            continue
        if child.next_start == 0.0:
            delay = RESTART_BACKOFF_S[min(child.restarts, len(RESTART_BACKOFF_S) - 1)]
            child.next_start = now + delay
            log.warning("service_exited", service=child.name, code=code, restart_in_s=delay)
        elif now >= child.next_start:
            child.restarts += 1
            child.next_start = 0.0
            child.start(env, relay)


def default_relay() -> Relay:
    return Relay(sys.stdout)
