"""Each misconfiguration at start-up is one line naming the variable and what to do, and a
non-zero exit, never a traceback: for `make run`'s launcher and every service entry point,
against the real Postgres and broker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from shared.db import libpq_conninfo
from shared.embedded import free_port
from tests.fixtures.environ import without_stack_variables

ROOT = Path(__file__).resolve().parents[2]
MODULES = {
    "launcher": "shared.launcher",
    "api": "services.api",
    "ingest": "services.ingest",
    "scoring": "services.scoring",
    "webhooks": "services.webhooks",
}
# The variable each process listens on, when it listens.
PORT_VARIABLE = {
    "launcher": "API_PORT",
    "api": "API_PORT",
    "ingest": "INGEST_METRICS_PORT",
    "scoring": "SCORING_METRICS_PORT",
    "webhooks": "WEBHOOK_METRICS_PORT",
}
PASSWORD_ROLE = "kefu_startup_pw"


@pytest.fixture(scope="module")
def password_role(postgres_url: str) -> str:
    """A role that must give its password: embedded Postgres trusts local connections, so
    a rule for this role alone goes first in pg_hba.conf (when the file is ours to edit)."""
    with psycopg.connect(libpq_conninfo(postgres_url), autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {PASSWORD_ROLE}")
        conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD 'the-right-password'")
        row = conn.execute("SHOW hba_file").fetchone()
        hba = Path(row[0]) if row else None
        if hba is not None and hba.exists() and os.access(hba, os.W_OK):
            rules = hba.read_text()
            rule = f"local all {PASSWORD_ROLE} scram-sha-256\n"
            if rule not in rules:
                hba.write_text(rule + rules)  # in place: its owner stays the server's
            conn.execute("SELECT pg_reload_conf()")
    return PASSWORD_ROLE


@pytest.fixture
def env(database_url: str, kafka_bootstrap: str, tmp_path: Path) -> dict[str, str]:
    """A valid configuration of every process; each test breaks one thing."""
    environ = without_stack_variables()
    environ.update(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        ADMIN_TOKEN="a-long-enough-admin-token-0123",
        API_PORT=str(free_port()),
        INGEST_METRICS_PORT="0",
        SCORING_METRICS_PORT="0",
        WEBHOOK_METRICS_PORT="0",
        DATA_DIR=str(tmp_path / "data"),
        DEMO="0",
        LOG_FORMAT="json",
    )
    return environ


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def start(process: str, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", MODULES[process]],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def assert_one_line(process: str, code: int, output: str, *words: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 2, output
    assert len(lines) == 1, output
    assert "Traceback" not in output
    (line,) = lines
    assert line.startswith(f"{process}: cannot start: "), line
    for word in words:
        assert word in line, (word, line)
    return line


@pytest.mark.parametrize("process", ["launcher", "api"])
@pytest.mark.parametrize("token", ["short", "changeme", "password"])
def test_a_short_or_well_known_admin_token(process: str, token: str, env: dict[str, str]) -> None:
    code, output = start(process, {**env, "ADMIN_TOKEN": token})
    line = assert_one_line(process, code, output, "ADMIN_TOKEN", "at least 16 characters")
    assert f"={token}" not in line  # a secret is never echoed


@pytest.mark.parametrize("process", list(MODULES))
def test_an_unreachable_database(process: str, env: dict[str, str]) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kefu"
    code, output = start(process, {**env, "DATABASE_URL": nowhere})
    assert_one_line(process, code, output, "DATABASE_URL", "unreachable", "start PostgreSQL")


@pytest.mark.parametrize("process", list(MODULES))
def test_a_wrong_database_password(process: str, env: dict[str, str], password_role: str) -> None:
    url = make_url(env["DATABASE_URL"]).set(username=password_role, password="a-wrong-one")
    code, output = start(
        process, {**env, "DATABASE_URL": url.render_as_string(hide_password=False)}
    )
    line = assert_one_line(process, code, output, "DATABASE_URL", "wrong user or password")
    assert "a-wrong-one" not in line


@pytest.mark.parametrize("process", ["launcher", "api", "ingest", "scoring"])
def test_an_unreachable_broker(process: str, env: dict[str, str]) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    code, output = start(process, {**env, "KAFKA_BOOTSTRAP_SERVERS": nowhere})
    assert_one_line(
        process, code, output, f"KAFKA_BOOTSTRAP_SERVERS={nowhere}", "unreachable", "start"
    )


@pytest.mark.parametrize("process", list(MODULES))
def test_a_port_in_use(process: str, env: dict[str, str], busy_port: int) -> None:
    variable = PORT_VARIABLE[process]
    code, output = start(process, {**env, variable: str(busy_port)})
    assert_one_line(process, code, output, f"{variable}={busy_port}", "in use", "free port")


@pytest.mark.parametrize("process", ["launcher", "scoring"])
def test_a_value_of_the_wrong_kind(process: str, env: dict[str, str]) -> None:
    variable = PORT_VARIABLE[process]
    code, output = start(process, {**env, variable: "eighty"})
    assert_one_line(process, code, output, f"{variable}=eighty", "is invalid")
