"""A live console (uvicorn in a thread, its clock the tests' NOW) and a real Chromium:
Debian's `chromium` driven by Playwright through executable_path (Playwright's own
browser download cannot be reached here). `make test` installs chromium when missing.

Every page a test opens through `Browse.open` is checked for console errors, failed
requests and error responses, and screenshotted at 1440×900 and 390×844 into
artefacts/console/ (git-ignored; CONSOLE_ARTEFACTS moves it).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from services.api.app import create_app
from shared.settings import Settings
from tests.fixtures.clock import NOW

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}
ARTEFACTS = Path(os.environ.get("CONSOLE_ARTEFACTS", "artefacts/console"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_url(settings: Settings) -> Iterator[str]:
    """The API (console included) served over HTTP on a free port, in its own thread."""
    port = _free_port()
    app = create_app(settings, clock=lambda: NOW)
    server = uvicorn.Server(
        # No logging config and no log level: either would change uvicorn's loggers (detach
        # them from the root, raise their level) for the rest of this test process.
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # bounds a hung start only
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the live API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
        yield browser
        await browser.close()


@dataclass
class Browse:
    """One browser context (its own cookies) that records what went wrong on its pages."""

    context: BrowserContext
    page: Page
    base: str
    problems: list[str] = field(default_factory=list)
    allowed: set[str] = field(default_factory=set)  # URLs expected to answer 4xx

    async def open(self, path: str, shot: str | None = None) -> Page:
        response = await self.page.goto(self.base + path)
        assert response is not None
        await self.page.wait_for_load_state("networkidle")
        if shot is not None:
            await self.screenshot(shot)
        return self.page

    async def screenshot(self, name: str) -> None:
        for label, (width, height) in VIEWPORTS.items():
            await self.page.set_viewport_size({"width": width, "height": height})
            await self.page.screenshot(path=str(ARTEFACTS / f"{name}-{label}.png"), full_page=True)
        await self.page.set_viewport_size({"width": 1440, "height": 900})

    def check(self) -> None:
        assert self.problems == [], "console errors or failed requests: " + "; ".join(self.problems)


async def browse(browser: Browser, base: str) -> Browse:
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    # Only bounds a hung run: the machine's two cores are shared with the whole suite.
    context.set_default_timeout(90_000)
    context.set_default_navigation_timeout(90_000)
    page = await context.new_page()
    session = Browse(context, page, base)

    def on_console(message: object) -> None:
        text = str(getattr(message, "text", ""))
        # An error status logs "Failed to load resource"; on_response judges those.
        if getattr(message, "type", "") == "error" and not text.startswith("Failed to load"):
            session.problems.append(f"console: {text}")

    def on_failed(request: object) -> None:
        session.problems.append(f"failed: {getattr(request, 'url', '')}")

    def on_response(response: object) -> None:
        status, url = getattr(response, "status", 0), getattr(response, "url", "")
        path = url.removeprefix(base).split("?")[0]
        if status >= 400 and path not in session.allowed:
            session.problems.append(f"{status}: {url}")

    page.on("console", on_console)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    return session
