"""Structured logs for every service: readable lines on a terminal, JSON lines otherwise.

LOG_FORMAT=auto (the default) picks by whether stderr, where the logs go, is a terminal;
`json` or `console` force one. The standard library's records (uvicorn, aiokafka,
alembic) go through the same renderer, so a process writes one format only.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def _shared(console: bool) -> list[structlog.types.Processor]:
    """Before rendering: context, level, logger name, time (local clock time for people,
    ISO 8601 UTC for machines)."""
    stamp = (
        structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False)
        if console
        else structlog.processors.TimeStamper(fmt="iso", utc=True)
    )
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        stamp,
    ]


def resolve_format(fmt: str, stream: TextIO | None = None) -> str:
    """`auto` → `console` on a terminal, `json` elsewhere; anything else as given."""
    if fmt != "auto":
        return fmt
    stream = stream or sys.stderr
    return "console" if stream.isatty() else "json"


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    stream = sys.stderr
    console = resolve_format(fmt, stream) == "console"
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=stream.isatty())
        if console
        else structlog.processors.JSONRenderer()
    )
    shared = _shared(console)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    # aiokafka is chatty at INFO about group membership, httpx about every request; keep
    # their warnings.
    for chatty in ("aiokafka", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
