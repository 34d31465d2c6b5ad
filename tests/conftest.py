from tests.fixtures.infra import (  # noqa: F401  (pytest fixtures)
    database_url,
    db,
    engine,
    kafka_bootstrap,
    migrated_template,
    postgres_url,
    settings,
)
