"""`python -m services.api`: serve the API with uvicorn on API_HOST:API_PORT.

Start-up checks first (ADMIN_TOKEN, the database, the broker, the port): a failed one is
one line on stderr and exit code 2 (shared.startup).
"""

from __future__ import annotations

import uvicorn

from shared.startup import check_broker, check_database, check_port, checked_settings

from .app import create_app
from .settings import ApiSettings


async def _check(settings: ApiSettings) -> None:
    settings.require_admin_token()
    check_port("API_PORT", settings.api_port, settings.api_host)
    await check_database(settings.require_database_url())
    await check_broker(settings.require_kafka())


def main() -> None:
    settings = checked_settings("api", ApiSettings, _check)
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
