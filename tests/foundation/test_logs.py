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
