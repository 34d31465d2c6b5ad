"""Typed settings from the environment (SPEC §10 names).

An unset DATABASE_URL or KAFKA_BOOTSTRAP_SERVERS means "use the embedded defaults": the
launcher (`shared.embedded`) starts them and exports the variables to the services.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEFAULT_ADMIN_TOKENS = {"", "changeme", "admin", "secret", "password"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str | None = Field(default=None, description="SQLAlchemy URL (psycopg 3)")
    kafka_bootstrap_servers: str | None = None
    admin_token: str | None = None
    api_port: int = 8000
    api_host: str = "127.0.0.1"
    kafka_topic_partitions: int = Field(default=8, ge=1, le=1024)
    kafka_replication_factor: int = Field(default=1, ge=1)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")
    # Data folder of the embedded stack (git-ignored).
    data_dir: str = ".data"
    # Outgoing webhooks may target private/loopback addresses only when the operator says so.
    webhook_allow_private_targets: bool = False

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

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(
                "DATABASE_URL is not set: start the stack with `make run`, or export a "
                "postgresql+psycopg:// URL"
            )
        return self.database_url

    def require_kafka(self) -> str:
        if not self.kafka_bootstrap_servers:
            raise RuntimeError(
                "KAFKA_BOOTSTRAP_SERVERS is not set: start the stack with `make run`, or "
                "export host:port of a Kafka-protocol broker"
            )
        return self.kafka_bootstrap_servers

    def require_admin_token(self) -> str:
        """Refuse to serve /admin with a missing or well-known token."""
        token = self.admin_token or ""
        if token.lower() in _DEFAULT_ADMIN_TOKENS or len(token) < 16:
            raise RuntimeError(
                "ADMIN_TOKEN must be set to a secret of at least 16 characters "
                "(`make run` generates one for local use)"
            )
        return token


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
