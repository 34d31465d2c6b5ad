"""The console's routes under /console (HTML, outside the OpenAPI document), its static
files, and the redirect to the sign-in page for a request without a live session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from .agent_page import router as agent_router
from .auth import SignInRequired
from .cache import NumbersCache
from .export import router as export_router
from .lost_page import router as lost_router
from .pages import router as pages_router
from .render import HERE
from .sign_in import router as sign_in_router
from .team_page import router as team_router
from .throttle import SignInThrottle

ROUTERS: list[APIRouter] = [
    sign_in_router,
    team_router,
    agent_router,
    lost_router,
    pages_router,
    export_router,
]


def wall_clock() -> datetime:
    return datetime.now(UTC)


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": "/console/sign-in"})
    return RedirectResponse("/console/sign-in", status_code=303)


def install_console(app: FastAPI, clock: Callable[[], datetime] | None = None) -> None:
    app.state.console_clock = clock or wall_clock
    app.state.console_throttle = SignInThrottle(app.state.console_clock)
    app.state.console_numbers = NumbersCache()
    for router in ROUTERS:
        app.include_router(router, prefix="/console", include_in_schema=False)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.add_exception_handler(SignInRequired, _sign_in_required)
