"""`make run`: the whole stack on one machine.

Checks the settings, starts the embedded PostgreSQL and Tansu broker unless DATABASE_URL /
KAFKA_BOOTSTRAP_SERVERS are set (quietly: their logs go to files under DATA_DIR), creates
the SPEC topics, applies migrations, starts the services (and, unless DEMO=0, the traffic
simulator) with their output relayed under their names, waits until each is up, prints the
banner, and then supervises: a service that exits is restarted with back-off. Ctrl-C or
SIGTERM stops everything it started.

Ports: a variable that is set is used as it is (in use: one line, exit 2); an unset one
takes its default when free and a free port otherwise, so two stacks run side by side
(each with its own DATA_DIR). The banner says which.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
import psycopg
from pydantic import Field

from shared import migrate, topics
from shared.children import Child, Relay, restart_crashed
from shared.db import libpq_conninfo, with_database
from shared.embedded import EmbeddedKafka, EmbeddedPostgres, free_port, port_is_free
from shared.kafka import ensure_topics, group_lag
from shared.logging import configure_logging, get_logger, resolve_format
from shared.settings import Settings
from shared.simulator.demo import HISTORY_DAYS
from shared.startup import (
    EXIT_MISCONFIGURED,
    StartupError,
    check_broker,
    check_database,
    check_port,
    exit_on_startup_error,
)

log = get_logger("launcher")

# (name, module, the log event that says it is up) in start order; stopped in reverse.
SERVICES = (
    ("ingest", "services.ingest", "ingest_started"),
    ("scoring", "services.scoring", "scoring_worker_started"),
    ("api", "services.api", None),  # up when GET /readyz answers 200
    ("webhooks", "services.webhooks", "webhook_dispatcher_started"),
)
DEMO_KEY_LINE = "API key for "
CONSOLE_LINE = "console sign-in "  # shared/simulator/console_users.py prints these
UP_TIMEOUT_S = 180.0


class LauncherSettings(Settings):
    # Embedded Postgres data and logs, broker log, generated admin token (git-ignored).
    data_dir: str = ".data"
    demo: bool = True
    demo_rate: float = Field(default=20.0, gt=0)
    demo_history_days: float = Field(default=HISTORY_DAYS, ge=0)
    # Unset: the default port when it is free, another free port otherwise.
    ingest_metrics_port: int | None = Field(default=None, ge=0, le=65535)
    scoring_metrics_port: int | None = Field(default=None, ge=0, le=65535)
    webhook_metrics_port: int | None = Field(default=None, ge=0, le=65535)


# variable -> (field of LauncherSettings, default port, interface its server binds)
PORTS = {
    "API_PORT": ("api_port", 8000, "127.0.0.1"),
    "INGEST_METRICS_PORT": ("ingest_metrics_port", 9101, "0.0.0.0"),
    "SCORING_METRICS_PORT": ("scoring_metrics_port", 9102, "0.0.0.0"),
    "WEBHOOK_METRICS_PORT": ("webhook_metrics_port", 9103, "0.0.0.0"),
}
PORT_OF = {
    "api": "API_PORT",
    "ingest": "INGEST_METRICS_PORT",
    "scoring": "SCORING_METRICS_PORT",
    "webhooks": "WEBHOOK_METRICS_PORT",
}
# Times a service may be restarted on another port when the one chosen for it was taken
# meanwhile (another stack starting at the same moment).
PORT_RETRIES = 3


def choose_ports(settings: LauncherSettings) -> tuple[dict[str, int], set[str]]:
    """Each port: as set (checked free), else its default if free, else any free one.
    Also returns the variables the launcher chose."""
    chosen: dict[str, int] = {}
    automatic: set[str] = set()
    for variable, (name, default, host) in PORTS.items():
        value = getattr(settings, name)
        if name in settings.model_fields_set and value is not None:
            check_port(variable, value, host)
            chosen[variable] = value
        else:
            chosen[variable] = default if port_is_free(default, host) else free_port(host)
            automatic.add(variable)
    return chosen, automatic


@dataclass
class Stack:
    settings: LauncherSettings
    data_dir: Path
    relay: Relay
    postgres: EmbeddedPostgres | None = None
    kafka: EmbeddedKafka | None = None
    children: list[Child] = field(default_factory=list)
    stopping: bool = False
    demo_key: str | None = None
    console_sign_ins: list[str] = field(default_factory=list)
    automatic_ports: set[str] = field(default_factory=set)

    def prepare(self) -> dict[str, str]:
        """Checks, infrastructure, topics, migrations; the services' environment."""
        admin_token = _admin_token(self.settings, self.data_dir)
        ports, self.automatic_ports = choose_ports(self.settings)
        database_url, bootstrap = self.settings.database_url, self.settings.kafka_bootstrap_servers
        if database_url:
            asyncio.run(check_database(database_url))
        else:
            self.postgres = EmbeddedPostgres(
                self.data_dir / "postgres", log_path=self.data_dir / "postgres.log"
            )
            database_url = _ensure_database(self.postgres.start(), "kefu")
            log.info("embedded_postgres", log=str(self.data_dir / "postgres.log"))
        if bootstrap:
            asyncio.run(check_broker(bootstrap))
        else:
            port = 9092 if port_is_free(9092) else 0
            self.kafka = EmbeddedKafka(port=port, log_path=self.data_dir / "tansu.log")
            bootstrap = self.kafka.start()
            log.info("embedded_kafka", bootstrap=bootstrap, log=str(self.data_dir / "tansu.log"))
        configured = self.settings.model_copy(
            update={"database_url": database_url, "kafka_bootstrap_servers": bootstrap}
        )
        asyncio.run(ensure_topics(configured, topics.ALL))
        migrate.upgrade(database_url)
        log.info("migrations_applied")
        env = dict(os.environ)
        env.update({variable: str(port) for variable, port in ports.items()})
        env.update(
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            ADMIN_TOKEN=admin_token,
            LOG_FORMAT=resolve_format(self.settings.log_format, sys.stdout),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start_services(self, env: dict[str, str]) -> None:
        for name, module, ready in SERVICES:
            if importlib.util.find_spec(module) is None:
                log.warning("service_missing", service=name, module=module)
                continue
            self.start(Child(name, [sys.executable, "-m", module], ready), env)

    def start(self, child: Child, env: dict[str, str]) -> None:
        self.children.append(child)
        child.start(env, self.relay)

    def demo(self, env: dict[str, str]) -> Child:
        argv = [sys.executable, "-m", "shared.simulator", "--api", _api_url(env)]
        argv += ["--admin-token", env["ADMIN_TOKEN"], "--rate", f"{self.settings.demo_rate:g}"]
        argv += ["--history-days", f"{self.settings.demo_history_days:g}"]

        def note_key(text: str) -> None:
            if DEMO_KEY_LINE in text:
                self.demo_key = text.split(":", 1)[1].strip()
            elif CONSOLE_LINE in text:
                self.console_sign_ins.append(text.split(CONSOLE_LINE, 1)[1].strip())

        return Child("demo", argv, "streaming ", on_line=note_key)

    def wait_until_up(self, env: dict[str, str]) -> None:
        """Until every service said it is up and the API is ready; a service that exits
        meanwhile stops the start (its own output above says why)."""
        deadline = time.monotonic() + UP_TIMEOUT_S
        api_ready = False
        while not self.stopping:
            for child in self.children:
                code = child.exited()
                if code is not None and not self._moved(child, code, env):
                    raise StartupError(
                        f"service {child.name}", f"exited with code {code}", "see its line above"
                    )
            api_ready = api_ready or _ready(_api_url(env))
            if api_ready and all(child.ready.is_set() for child in self.children):
                return
            if time.monotonic() > deadline:
                waiting = [c.name for c in self.children if not c.ready.is_set()]
                raise StartupError(
                    "the stack",
                    f"is not up after {UP_TIMEOUT_S:.0f} s (waiting for {waiting})",
                    "see the services' output above",
                )
            time.sleep(0.2)

    def _moved(self, child: Child, code: int, env: dict[str, str]) -> bool:
        """A port the launcher chose was taken before the service bound it: restart the
        service on another free port (True), unless it failed for another reason."""
        variable = PORT_OF.get(child.name)
        if code != EXIT_MISCONFIGURED or variable not in self.automatic_ports:
            return False
        if f"{variable}=" not in child.last_line() or child.restarts >= PORT_RETRIES:
            return False
        env[variable] = str(free_port(PORTS[variable][2]))
        log.info("port_taken_meanwhile", service=child.name, variable=variable, now=env[variable])
        child.restarts += 1
        child.start(env, self.relay)
        return True

    def supervise(self, env: dict[str, str]) -> None:
        while not self.stopping:
            restart_crashed(self.children, env, self.relay)
            time.sleep(0.5)

    def stop(self) -> None:
        started = bool(self.children or self.kafka or self.postgres)
        for child in reversed(self.children):  # the demo (a producer) first
            if child.name == "ingest" and self.kafka is not None:
                _drain_inputs(self.kafka.bootstrap)
            child.stop()
        if self.kafka:
            self.kafka.stop()
        if self.postgres:
            self.postgres.stop()
        if started:
            log.info("stopped")


def _api_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['API_PORT']}"


def _ready(api: str) -> bool:
    try:
        return httpx.get(f"{api}/readyz", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _drain_inputs(bootstrap: str, wait_s: float = 20.0) -> None:
    """The embedded broker keeps its logs in memory: before it stops, let ingest store
    what the producers sent (scoring catches up from the raw tables on the next start)."""
    # The launcher is the composition root: it knows the ingest service's settings.
    from services.ingest.config import IngestSettings

    group = IngestSettings().ingest_group_id  # the environment the services got
    try:
        left = asyncio.run(group_lag(bootstrap, group, topics.INPUT, wait_s=wait_s))
    except Exception as exc:  # stopping anyway: say why nothing was waited for
        log.warning("inputs_not_drained", error=repr(exc))
        return
    if left:
        log.warning("inputs_not_drained", records_left=left, waited_s=wait_s)
    else:
        log.info("inputs_drained")


def _ensure_database(server_url: str, name: str) -> str:
    with psycopg.connect(libpq_conninfo(server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


def _admin_token(settings: Settings, data_dir: Path) -> str:
    """The configured token, or one generated once and kept in the data folder."""
    if settings.admin_token:
        return settings.require_admin_token()
    path = data_dir / "admin_token"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def banner(env: dict[str, str], stack: Stack) -> str:
    api = _api_url(env)
    ports = " · ".join(
        f"{name} :{env[variable]}"
        for name, variable in (
            ("ingest", "INGEST_METRICS_PORT"),
            ("scoring", "SCORING_METRICS_PORT"),
            ("webhooks", "WEBHOOK_METRICS_PORT"),
        )
    )
    lines = [
        "",
        "  kefu-scorecard is up",
        f"    API            {api}",
        f"    API docs       {api}/docs",
        f"    metrics        {api}/metrics · {ports}",
        f"    admin token    {env['ADMIN_TOKEN']}",
    ]
    if stack.demo_key:
        lines.append(f"    demo API key   {stack.demo_key}")
    lines.append(f"    console        {api}/console")
    lines += [f"      sign in as   {sign_in}" for sign_in in stack.console_sign_ins]
    lines += [
        f"    Postgres       {'embedded, ' if stack.postgres else ''}{env['DATABASE_URL']}",
        f"    Kafka          {'embedded, ' if stack.kafka else ''}{env['KAFKA_BOOTSTRAP_SERVERS']}",
    ]
    if stack.postgres or stack.kafka:
        lines.append(f"    their logs     {stack.data_dir}/postgres.log, tansu.log")
    lines += ["  Live logs follow. Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def main() -> int:
    settings: LauncherSettings = exit_on_startup_error("launcher", LauncherSettings.from_env)
    configure_logging(settings.log_level, resolve_format(settings.log_format, sys.stdout))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    relay = Relay(sys.stdout)
    stack = Stack(settings, data_dir, relay)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stack.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        env = exit_on_startup_error("launcher", stack.prepare)
        if not stack.stopping:
            stack.start_services(env)
            exit_on_startup_error("launcher", lambda: stack.wait_until_up(env))
        if not stack.stopping and settings.demo:  # registers its shop through the API
            stack.start(stack.demo(env), env)
            exit_on_startup_error("launcher", lambda: stack.wait_until_up(env))
        if not stack.stopping:
            with relay.lock:
                print(banner(env, stack), flush=True)
            stack.supervise(env)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
