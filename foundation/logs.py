"""Structured logging: JSON lines in production, readable lines on a console.

The libraries' own logs (uvicorn, aio-pika, SQLAlchemy, asyncio) go through the standard
library's `logging`; a handler on the root logger renders them with structlog in the same
format, so a log collector reads one kind of line. Commands whose stdout is an answer (JSON
for other tools) log to stderr (`stream`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TextIO, cast

import orjson
import structlog

from foundation.settings import Settings

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _Current:
    """`sys.stdout` or `sys.stderr` as it is when written to: a test runner swaps them, and a
    log line must never go to a stream that was closed since."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        return int(getattr(sys, self.name).write(text))

    def flush(self) -> None:
        getattr(sys, self.name).flush()


def configure_logging(settings: Settings, to_stderr: bool = False) -> None:
    """Set up structlog once for the process, in the format the settings ask for, on stdout
    or on stderr; route the standard library's loggers through it."""
    renderer: structlog.types.Processor
    factory: Callable[..., structlog.types.WrappedLogger]
    out = cast(TextIO, _Current("stderr" if to_stderr else "stdout"))
    if to_stderr:
        renderer = (
            structlog.processors.JSONRenderer(ensure_ascii=False)
            if settings.log_format == "json"
            else structlog.dev.ConsoleRenderer(colors=False)
        )
        factory = structlog.PrintLoggerFactory(file=out)
    elif settings.log_format == "json":
        # orjson writes UTF-8 bytes (Vietnamese names as they are): a line per delivery at
        # INFO cost the pipeline ~7% with the standard library's encoder (bench/pipeline.py).
        renderer = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        factory = structlog.BytesLoggerFactory()
    else:
        renderer = structlog.dev.ConsoleRenderer()
        factory = structlog.PrintLoggerFactory()
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    structlog.configure(
        processors=[*_SHARED, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=factory,
        cache_logger_on_first_use=not to_stderr,
    )
    _route_standard_logging(settings, out, level)


def _route_standard_logging(settings: Settings, out: TextIO, level: int) -> None:
    # The standard library's handler writes text: the JSON of its lines is rendered to str.
    rendered: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, rendered],
            foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # SQLAlchemy's echo, aio-pika's connection chatter and Alembic's steps are noise at INFO.
    for name in ("sqlalchemy", "aio_pika", "aiormq", "alembic"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
