"""Typed settings from the environment: one base, one subclass per process.

`Settings` holds what every process reads: the SPEC §10 names (DATABASE_URL,
KAFKA_BOOTSTRAP_SERVERS, ADMIN_TOKEN, API_PORT), the topics' shape and the logs. Each
process adds its own knobs in a subclass whose variables carry its prefix
(`services/ingest/config.py` INGEST_*, `services/scoring/settings.py` SCORING_*,
`services/webhooks/settings.py` WEBHOOK_*, `services/api/settings.py`,
`shared/launcher.py`). A process builds its settings once in its entry point and passes
them down explicitly: nothing reads a global.

The base fields name their variable explicitly (`validation_alias`), so a subclass's
`env_prefix` applies to its own fields only.

An unset DATABASE_URL or KAFKA_BOOTSTRAP_SERVERS means "use the embedded defaults": the
launcher (`shared.embedded`) starts them and exports the variables to the services.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.startup import StartupError

_DEFAULT_ADMIN_TOKENS = {"", "changeme", "admin", "secret", "password"}
MIN_ADMIN_TOKEN_LENGTH = 16


def _env(name: str, default: Any, **constraints: Any) -> Any:
    """A base field read from the variable NAME whatever the subclass's prefix."""
    return Field(default=default, validation_alias=name, **constraints)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # SPEC §10. Unset database or broker: the embedded ones `make run` starts.
    database_url: str | None = _env("database_url", None)
    kafka_bootstrap_servers: str | None = _env("kafka_bootstrap_servers", None)
    admin_token: str | None = _env("admin_token", None)
    api_port: int = _env("api_port", 8000, ge=0, le=65535)
    # Topics the stack creates when they are missing.
    kafka_topic_partitions: int = _env("kafka_topic_partitions", 8, ge=1, le=1024)
    kafka_replication_factor: int = _env("kafka_replication_factor", 1, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = _env("log_level", "INFO")
    # auto: human-readable lines when stderr is a terminal, JSON lines otherwise.
    log_format: Literal["auto", "json", "console"] = _env("log_format", "auto")
    # Read by the API (when a subscription is made) and the dispatcher (at delivery time).
    webhook_allow_private_targets: bool = _env("webhook_allow_private_targets", False)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str | None) -> str | None:
        """Accept plain postgres URLs and pin the psycopg 3 driver."""
        if value is None or value == "":
            return None
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @classmethod
    def from_env(cls, **overrides: Any) -> Any:
        """The settings from the environment, or a StartupError naming the first variable
        whose value is wrong (entry points turn it into one line and a non-zero exit)."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise StartupError.from_validation(cls, exc) from None

    def require_database_url(self) -> str:
        if not self.database_url:
            raise StartupError(
                "DATABASE_URL",
                "is not set",
                "start the stack with `make run`, or export a postgresql+psycopg:// URL",
            )
        return self.database_url

    def require_kafka(self) -> str:
        if not self.kafka_bootstrap_servers:
            raise StartupError(
                "KAFKA_BOOTSTRAP_SERVERS",
                "is not set",
                "start the stack with `make run`, or export host:port of a Kafka-protocol broker",
            )
        return self.kafka_bootstrap_servers

    def require_admin_token(self) -> str:
        """Refuse to serve /admin with a missing or well-known token."""
        token = self.admin_token or ""
        if token.lower() in _DEFAULT_ADMIN_TOKENS or len(token) < MIN_ADMIN_TOKEN_LENGTH:
            problem = "is not set" if not token else "is too short or a well-known value"
            raise StartupError(
                "ADMIN_TOKEN",
                problem,
                f"set it to a secret of at least {MIN_ADMIN_TOKEN_LENGTH} characters, e.g. the "
                "output of `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'` "
                "(`make run` generates one for local use)",
            )
        return token
