"""deploy/compose.yaml and deploy/Dockerfile name things that exist in the project."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"

#: services built from the project image (everything but the broker and the database)
PROJECT_SERVICES = {"migrate", "ingest", "scoring", "api", "dispatcher"}
REQUIRED_ENV = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "ADMIN_TOKEN")


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command")
    if cmd is None:
        return ["python", "-m", "services.api"]  # the Dockerfile's CMD
    if isinstance(cmd, str):
        return shlex.split(cmd)
    return [str(c) for c in cmd]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _module_exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return (path / "__main__.py").is_file() or path.with_suffix(".py").is_file()


def _project_services() -> list[str]:
    return [name for name, svc in _services().items() if "build" in svc or name in PROJECT_SERVICES]


def test_compose_has_the_stack() -> None:
    services = _services()
    assert PROJECT_SERVICES | {"kafka", "postgres"} <= set(services)
    assert "apache/kafka" in services["kafka"]["image"]
    assert str(services["postgres"]["image"]).startswith("postgres:16")
    assert "healthcheck" in services["kafka"]
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "/healthz" in str(services["api"]["healthcheck"]["test"])
    assert any("8000" in str(p) for p in services["api"].get("ports", []))


@pytest.mark.parametrize("name", sorted(PROJECT_SERVICES))
def test_project_service_command_names_an_existing_module(name: str) -> None:
    cmd = _command(_services()[name])
    if name == "migrate":
        assert cmd[:3] == ["alembic", "upgrade", "head"]
        assert (ROOT / "alembic.ini").is_file(), "alembic.ini missing at the repository root"
        return
    assert cmd[:2] == ["python", "-m"], cmd
    assert _module_exists(cmd[2]), f"{name}: module {cmd[2]} does not exist in the project"


def test_every_python_module_command_exists() -> None:
    for name, svc in _services().items():
        cmd = _command(svc) if "build" in svc or "command" in svc else []
        if cmd[:2] == ["python", "-m"]:
            assert _module_exists(cmd[2]), f"{name}: module {cmd[2]} does not exist"


def test_project_services_have_the_environment() -> None:
    for name in _project_services():
        env = _env(_services()[name])
        for var in REQUIRED_ENV:
            assert env.get(var), f"{name} lacks {var}"
        assert "psycopg" in env["DATABASE_URL"], f"{name}: DATABASE_URL must use psycopg 3"
        # no default secret: ADMIN_TOKEN must come from .env / the environment
        assert re.fullmatch(r"\$\{ADMIN_TOKEN(:?\?[^}]*)?\}", env["ADMIN_TOKEN"]), env[
            "ADMIN_TOKEN"
        ]


def test_project_services_start_in_order() -> None:
    services = _services()
    migrate_deps = services["migrate"]["depends_on"]
    assert migrate_deps["postgres"]["condition"] == "service_healthy"
    for name in PROJECT_SERVICES - {"migrate"}:
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["kafka"]["condition"] == "service_healthy", name
        assert deps["postgres"]["condition"] == "service_healthy", name


def _dockerfile_copies() -> list[str]:
    sources: list[str] = []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0].upper() not in ("COPY", "ADD"):
            continue
        args = [p for p in parts[1:] if not p.startswith("--")]
        if any(p.startswith("--from") for p in parts[1:]):
            continue
        sources.extend(args[:-1])
    return sources


def test_dockerfile_exists_and_copies_existing_paths() -> None:
    assert DOCKERFILE.is_file()
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert "pip install ." in text
    sources = _dockerfile_copies()
    assert "pyproject.toml" in sources
    # compose builds with the repository root as context
    assert _services()["api"]["build"]["context"] == ".."
    missing = [src for src in sources if not (ROOT / src).exists()]
    assert not missing, f"Dockerfile COPY sources missing from the repository: {missing}"
