"""Log lines: one JSON object per line in production, Vietnamese text kept as it is."""

from __future__ import annotations

import json

import pytest
import structlog

from foundation.logs import configure_logging
from foundation.settings import Settings


def test_json_lines_carry_the_bound_ids_and_unescaped_vietnamese(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """A JSON line parses, keeps bound fields and level, and writes 'Sở Nội vụ' as UTF-8."""
    configure_logging(Settings(log_format="json", log_level="INFO"))
    try:
        log = structlog.get_logger("test").bind(delivery_id="d-1")
        log.info("delivered", agency="Sở Nội vụ")
        log.debug("not shown at INFO")
        out = capsysbinary.readouterr().out
    finally:
        structlog.reset_defaults()
    [line] = out.splitlines()
    assert "Sở Nội vụ".encode() in line
    event = json.loads(line)
    assert (event["event"], event["level"], event["delivery_id"]) == ("delivered", "info", "d-1")
    assert event["timestamp"].endswith("Z")


def test_third_party_logs_are_json_lines_too(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn's and SQLAlchemy's standard-library loggers come out as the same JSON lines,
    naming the logger; a command can send every log line to stderr, keeping stdout for JSON."""
    import logging

    for name in ("uvicorn", "uvicorn.error", "sqlalchemy.engine"):  # as a fresh process has them
        named = logging.getLogger(name)
        named.handlers, named.propagate, named.disabled = [], True, False
        named.setLevel(logging.NOTSET)
    configure_logging(Settings(log_format="json", log_level="INFO"), to_stderr=True)
    try:
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("sqlalchemy.engine").warning("pool overflow")
        structlog.get_logger("test").info("replay", checked=3)
        captured = capsys.readouterr()
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers = []
    assert captured.out == ""
    lines = [json.loads(line) for line in captured.err.splitlines()]
    assert [(e["event"], e["level"]) for e in lines] == [
        ("Started server process", "info"), ("pool overflow", "warning"), ("replay", "info")
    ]
    assert [e.get("logger") for e in lines[:2]] == ["uvicorn.error", "sqlalchemy.engine"]
