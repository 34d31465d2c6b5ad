"""One configuration pattern: a base with the SPEC §10 names, one subclass per process
whose own variables carry its prefix, errors that name the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.settings import ShopSettings
from services.api.settings import ApiSettings
from services.ingest.config import IngestSettings
from services.ingest.shops import DEFAULT_RETENTION_DAYS
from services.scoring.settings import ScoringSettings
from services.webhooks.settings import WebhookSettings
from shared.launcher import LauncherSettings
from shared.settings import Settings
from shared.startup import StartupError

PROCESSES = (ApiSettings, IngestSettings, ScoringSettings, WebhookSettings, LauncherSettings)


@pytest.mark.parametrize("kind", PROCESSES)
def test_every_process_reads_the_spec_names_unprefixed(
    kind: type[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/kefu")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("ADMIN_TOKEN", "x" * 20)
    monkeypatch.setenv("API_PORT", "8123")
    settings = kind()
    assert isinstance(settings, Settings)
    assert settings.database_url == "postgresql+psycopg://db.example/kefu"
    assert settings.kafka_bootstrap_servers == "broker:9092"
    assert settings.admin_token == "x" * 20 and settings.api_port == 8123


def test_each_process_reads_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORING_METRICS_PORT", "9200")
    monkeypatch.setenv("SCORING_PARTITIONS", "0,2")
    monkeypatch.setenv("SCORING_BATCH_DELAY_MS", "25")
    monkeypatch.setenv("WEBHOOK_METRICS_PORT", "9300")
    monkeypatch.setenv("WEBHOOK_POLL_SECONDS", "0.5")
    monkeypatch.setenv("METRICS_PORT", "1")  # no process reads an unprefixed knob
    monkeypatch.setenv("INGEST_NOW", "2026-11-23T12:00:00+08:00")
    scoring, webhooks, ingest = ScoringSettings(), WebhookSettings(), IngestSettings()
    assert (scoring.metrics_port, scoring.partitions, scoring.batch_delay_ms) == (9200, [0, 2], 25)
    assert (webhooks.metrics_port, webhooks.poll_seconds) == (9300, 0.5)
    assert ingest.clock()().isoformat() == "2026-11-23T12:00:00+08:00"
    assert ScoringSettings(heartbeat_ms=500).consumer_options() == {"heartbeat_interval_ms": 500}


def test_a_wrong_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORING_MAX_RECORDS", "lots")
    with pytest.raises(StartupError, match=r"^SCORING_MAX_RECORDS=lots is invalid"):
        ScoringSettings.from_env()
    monkeypatch.setenv("INGEST_NOW", "2026-11-23T12:00:00")  # no offset: ambiguous
    with pytest.raises(StartupError, match=r"^INGEST_NOW="):
        IngestSettings.from_env()
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(StartupError, match=r"^LOG_FORMAT=xml is invalid"):
        Settings.from_env()


def test_an_unpinned_ingest_clock_is_the_system_clock() -> None:
    first = IngestSettings().clock()()
    assert first.tzinfo is not None and IngestSettings().clock()() >= first


def test_raw_retention_default_is_the_shop_settings_one() -> None:
    assert ShopSettings().raw_retention_days == DEFAULT_RETENTION_DAYS
    assert not hasattr(IngestSettings(), "ingest_default_retention_days")


def _variables(kind: type[Settings]) -> set[str]:
    prefix = str(kind.model_config.get("env_prefix", ""))
    return {
        (f.validation_alias if isinstance(f.validation_alias, str) else prefix + name).upper()
        for name, f in kind.model_fields.items()
    }


def test_the_readme_documents_every_variable() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    variables = set().union(*(_variables(kind) for kind in PROCESSES))
    assert variables - documented == set()
