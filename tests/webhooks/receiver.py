"""A real HTTP receiver on loopback for the webhook tests (http.server in a thread)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]


# (path, how many times this webhook-id was received before, counting this one) → status
Behaviour = Callable[[str, int], int]


def always_ok(path: str, nth: int) -> int:
    return 200


class Receiver:
    def __init__(self, behaviour: Behaviour = always_ok, delay: float = 0.0) -> None:
        self.behaviour = behaviour
        self.delay = delay
        self.requests: list[Received] = []
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.requests.append(got)
                    receiver._seen[got.headers.get("webhook-id", "")] += 1
                    nth = receiver._seen[got.headers.get("webhook-id", "")]
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.behaviour(self.path, nth)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def ids(self) -> list[str]:
        with self._lock:
            return [r.msg_id for r in self.requests]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType]) -> None:
        self.server.shutdown()
        self.server.server_close()
