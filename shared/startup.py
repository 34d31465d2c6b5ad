"""Start-up checks: a misconfiguration is one line naming the variable and what to do.

Every entry point (`python -m services.<x>`, `make run`'s launcher) runs its checks before
it starts work and goes through `exit_on_startup_error`: a `StartupError` prints
`<process>: cannot start: <VARIABLE> <problem>; <what to do>` on stderr and exits 2,
never a traceback. Errors after start-up (an outage mid-stream) are the services' own
business: they retry and log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, NoReturn, TypeVar

from pydantic import ValidationError

if TYPE_CHECKING:
    from shared.settings import Settings

_T = TypeVar("_T")
_S = TypeVar("_S", bound="Settings")
EXIT_MISCONFIGURED = 2
# How long a start-up check waits for the database or the broker to answer.
CHECK_TIMEOUT_S = 10.0


class StartupError(RuntimeError):
    """A setting the process cannot start with."""

    def __init__(self, variable: str, problem: str, fix: str) -> None:
        self.variable, self.problem, self.fix = variable, problem, fix
        super().__init__(f"{variable} {problem}; {fix}" if fix else f"{variable} {problem}")

    @classmethod
    def from_validation(cls, model: type, exc: ValidationError) -> StartupError:
        """The first invalid field of a settings class, named by its variable."""
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else model.__name__
        config = getattr(model, "model_config", {})
        field = getattr(model, "model_fields", {}).get(name)
        if field is None or not isinstance(field.validation_alias, str):
            name = str(config.get("env_prefix", "")) + name
        value = error.get("input")
        secret = any(word in name for word in ("token", "url", "secret", "password"))
        shown = "" if value is None or isinstance(value, dict) or secret else f"={value}"
        return cls(name.upper() + shown, f"is invalid: {error['msg']}", "fix or unset it")


def exit_on_startup_error(process: str, run: Callable[[], _T]) -> _T:
    """Run `run`; a StartupError raised from it becomes one line and exit code 2."""
    try:
        return run()
    except StartupError as exc:
        fail(process, exc)


def checked_settings(
    process: str, kind: type[_S], check: Callable[[_S], Coroutine[object, object, None]]
) -> _S:
    """An entry point's settings from the environment, checked by `check` (ports, the
    database, the broker), with logging configured; or one line and exit 2."""

    def read_and_check() -> _S:
        settings: _S = kind.from_env()
        asyncio.run(check(settings))
        return settings

    settings = exit_on_startup_error(process, read_and_check)
    from shared.logging import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    return settings


def fail(process: str, exc: StartupError) -> NoReturn:
    print(f"{process}: cannot start: {exc}", file=sys.stderr, flush=True)
    sys.exit(EXIT_MISCONFIGURED)


def check_port(variable: str, port: int, host: str = "0.0.0.0") -> None:
    """The port is free to listen on (0 = off or "any", always fine)."""
    if port == 0:
        return
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise StartupError(
                f"{variable}={port}",
                f"cannot be listened on ({exc.strerror or exc}): another process uses it",
                f"stop that process or set {variable} to a free port",
            ) from None


def _database_problem(message: str) -> tuple[str, str]:
    """(problem, what to do) for libpq's connection error message."""
    lowered = message.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return "was refused: wrong user or password", "fix the user and password in the URL"
    if "does not exist" in lowered and "database" in lowered:
        return f"names a database that does not exist ({message.strip()})", (
            "create it (CREATE DATABASE) or fix the database name in the URL"
        )
    if "role" in lowered and "does not exist" in lowered:
        return "names a user that does not exist", "create the role or fix the user in the URL"
    return (
        f"is unreachable ({message.strip().splitlines()[0] if message.strip() else 'no answer'})",
        "start PostgreSQL or fix the host and port in DATABASE_URL "
        "(unset it under `make run` to use the embedded one)",
    )


async def check_database(url: str, *, wait_s: float = CHECK_TIMEOUT_S) -> None:
    """One connection to DATABASE_URL, or a StartupError saying why not."""
    import psycopg

    from shared.db import libpq_conninfo

    try:
        conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(libpq_conninfo(url), connect_timeout=int(wait_s)),
            wait_s,
        )
    except (psycopg.Error, OSError, TimeoutError) as exc:
        problem, fix = _database_problem(str(exc) or "no answer in time")
        raise StartupError("DATABASE_URL", problem, fix) from None
    await conn.close()


async def check_broker(bootstrap: str, *, wait_s: float = CHECK_TIMEOUT_S) -> None:
    """The broker answers a metadata request, or a StartupError."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaConnectionError, KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(wait_s * 1000))
    client_log = logging.getLogger("aiokafka")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)  # its own error lines would repeat ours
    try:
        await asyncio.wait_for(admin.start(), wait_s)
        await asyncio.wait_for(admin.list_topics(), wait_s)
    except (KafkaError, OSError, TimeoutError, ValueError) as exc:
        if isinstance(exc, KafkaConnectionError | ConnectionError):
            reason = "nothing answers there"
        elif isinstance(exc, TimeoutError):
            reason = f"no answer in {wait_s:g} s"
        else:
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise StartupError(
            f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}",
            f"is unreachable ({reason})",
            "start the broker or point KAFKA_BOOTSTRAP_SERVERS at one "
            "(unset it under `make run` to use the embedded one)",
        ) from None
    finally:
        # Closing a client that never connected: nothing to release.
        with contextlib.suppress(Exception):
            await admin.close()
        client_log.setLevel(level)
