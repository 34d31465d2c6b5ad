"""`make run`: the whole stack on one machine.

Starts the embedded PostgreSQL and Tansu broker unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS
are set, creates the SPEC topics, applies migrations, then supervises the services (and,
unless DEMO=0, the traffic simulator). Ctrl-C or SIGTERM stops everything it started.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import psycopg

from shared import migrate, topics
from shared.db import libpq_conninfo, with_database
from shared.embedded import EmbeddedKafka, EmbeddedPostgres, port_is_free
from shared.kafka import ensure_topics, group_lag
from shared.logging import configure_logging, get_logger
from shared.settings import Settings

log = get_logger("launcher")

# (name, module) in start order; stopped in reverse.
SERVICES = (
    ("ingest", "services.ingest"),
    ("scoring", "services.scoring"),
    ("api", "services.api"),
    ("webhooks", "services.webhooks"),
)
RESTART_BACKOFF_S = (1, 2, 5, 10, 30)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0

    def start(self, env: dict[str, str]) -> None:
        # Own session: a terminal's Ctrl-C reaches only the launcher, which stops children
        # in order.
        self.process = subprocess.Popen(self.argv, env=env, start_new_session=True)
        log.info("started", service=self.name, pid=self.process.pid)

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


@dataclass
class Stack:
    settings: Settings
    data_dir: Path
    postgres: EmbeddedPostgres | None = None
    kafka: EmbeddedKafka | None = None
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    def start_infrastructure(self) -> dict[str, str]:
        database_url = self.settings.database_url
        if not database_url:
            self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
            database_url = _ensure_database(self.postgres.start(), "kefu")
            log.info("embedded_postgres", url=database_url)
        bootstrap = self.settings.kafka_bootstrap_servers
        if not bootstrap:
            port = 9092 if port_is_free(9092) else 0
            self.kafka = EmbeddedKafka(port=port, log_path=self.data_dir / "tansu.log")
            bootstrap = self.kafka.start()
            log.info("embedded_kafka", bootstrap=bootstrap)
        configured = self.settings.model_copy(
            update={"database_url": database_url, "kafka_bootstrap_servers": bootstrap}
        )
        created = asyncio.run(ensure_topics(configured, topics.ALL))
        log.info("topics_ready", created=created, partitions=configured.kafka_topic_partitions)
        migrate.upgrade(database_url)
        log.info("migrations_applied")
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            ADMIN_TOKEN=_admin_token(self.settings, self.data_dir),
            API_PORT=str(self.settings.api_port),
        )
        # Each service serves Prometheus metrics on its own port (the API on /metrics).
        for name, port in (("INGEST", 9101), ("SCORING", 9102), ("WEBHOOK", 9103)):
            env.setdefault(f"{name}_METRICS_PORT", str(port))
        return env

    def start_services(self, env: dict[str, str]) -> None:
        for name, module in SERVICES:
            if importlib.util.find_spec(module) is None:
                log.warning("service_missing", service=name, module=module)
                continue
            self.children.append(Child(name, [sys.executable, "-m", module]))
        if os.environ.get("DEMO", "1") != "0":
            api = f"http://127.0.0.1:{env['API_PORT']}"
            self.children.append(
                Child(
                    "demo",
                    [
                        sys.executable,
                        "-m",
                        "shared.simulator",
                        "--api",
                        api,
                        "--admin-token",
                        env["ADMIN_TOKEN"],
                        "--rate",
                        os.environ.get("DEMO_RATE", "20"),
                    ],
                )
            )
        for child in self.children:
            child.start(env)

    def supervise(self, env: dict[str, str]) -> None:
        """Restart a crashed service with backoff until asked to stop."""
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                process = child.process
                if process is None or process.poll() is None:
                    continue
                if child.next_start == 0.0:
                    delay = RESTART_BACKOFF_S[min(child.restarts, len(RESTART_BACKOFF_S) - 1)]
                    child.next_start = now + delay
                    log.warning(
                        "service_exited",
                        service=child.name,
                        code=process.returncode,
                        restart_in_s=delay,
                    )
                elif now >= child.next_start:
                    child.restarts += 1
                    child.next_start = 0.0
                    child.start(env)
            time.sleep(0.5)

    def stop(self) -> None:
        for child in reversed(self.children):  # the demo (a producer) first
            if child.name == "ingest" and self.kafka is not None:
                _drain_inputs(self.kafka.bootstrap)
            child.stop()
        if self.kafka:
            self.kafka.stop()
        if self.postgres:
            self.postgres.stop()
        log.info("stopped")


def _drain_inputs(bootstrap: str, wait_s: float = 20.0) -> None:
    """The embedded broker keeps its logs in memory: before it stops, let ingest store
    what the producers sent (scoring catches up from the raw tables on the next start)."""
    group = os.environ.get("INGEST_GROUP_ID", "kefu-ingest")
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


def _banner(env: dict[str, str]) -> None:
    api = f"http://127.0.0.1:{env['API_PORT']}"
    print(
        f"\n  kefu-scorecard is up\n"
        f"    API            {api}\n"
        f"    API docs       {api}/docs\n"
        f"    metrics        {api}/metrics\n"
        f"    admin token    {env['ADMIN_TOKEN']}\n"
        f"    Postgres       {env['DATABASE_URL']}\n"
        f"    Kafka          {env['KAFKA_BOOTSTRAP_SERVERS']}\n"
        f"  The demo shop's API key is printed by the demo below. Ctrl-C stops everything.\n",
        flush=True,
    )


def main() -> int:
    settings = Settings()
    configure_logging(settings.log_level, "console" if sys.stderr.isatty() else settings.log_format)
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(settings, data_dir)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stack.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        env = stack.start_infrastructure()
        if not stack.stopping:
            stack.start_services(env)
            _banner(env)
            stack.supervise(env)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
