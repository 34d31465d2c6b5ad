"""Log lines for people on a terminal, JSON lines for machines; LOG_FORMAT overrides."""

from __future__ import annotations

import io
import logging
import sys

import orjson
import pytest

from shared.logging import configure_logging, get_logger, resolve_format


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_console_on_a_terminal_and_json_elsewhere() -> None:
    assert resolve_format("auto", _Terminal()) == "console"
    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("json", _Terminal()) == "json"
    assert resolve_format("console", io.StringIO()) == "console"


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_our_records_and_the_libraries_render_alike(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    try:
        configure_logging("INFO", fmt)
        get_logger(f"test.{fmt}").info("batch_committed", records=3)
        logging.getLogger("uvicorn.error").info("Uvicorn running on %s", "http://x")
        get_logger(f"test.{fmt}").debug("not_shown")
    finally:
        logging.getLogger().handlers.clear()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    if fmt == "json":
        ours, theirs = (orjson.loads(line) for line in lines)
        assert (ours["event"], ours["records"], ours["level"]) == ("batch_committed", 3, "info")
        assert theirs["event"] == "Uvicorn running on http://x"
    else:
        assert "batch_committed" in lines[0] and "records=3" in lines[0]
        assert not lines[0].startswith("{") and "Uvicorn running on http://x" in lines[1]
