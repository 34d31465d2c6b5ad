"""`python -m services.api`: serve the API with uvicorn on API_HOST:API_PORT.

Start-up checks first (ADMIN_TOKEN, the database, the broker, the port): a failed one is
one line on stderr and exit code 2 (shared.startup).
"""

from __future__ import annotations

import asyncio

import uvicorn

from shared.logging import configure_logging
from shared.startup import check_broker, check_database, check_port, exit_on_startup_error

from .app import create_app
from .settings import ApiSettings


def _checked_settings() -> ApiSettings:
    settings: ApiSettings = ApiSettings.from_env()
    settings.require_admin_token()
    check_port("API_PORT", settings.api_port, settings.api_host)

    async def reachable() -> None:
        await check_database(settings.require_database_url())
        await check_broker(settings.require_kafka())

    asyncio.run(reachable())
    return settings


def main() -> None:
    settings = exit_on_startup_error("api", _checked_settings)
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
        access_log=False,
        log_config=None,  # uvicorn's records go through our logging (shared.logging)
    )


if __name__ == "__main__":
    main()
