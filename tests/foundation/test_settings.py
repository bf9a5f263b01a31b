"""Settings that would break a promise of the service are refused with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from foundation.settings import CONSUMER_TIMEOUT_SECONDS, Settings

DOCROUTE = str(Path(sys.executable).with_name("docroute"))
AMQP = "amqp://guest:guest@127.0.0.1:5672/"  # refused before any connection is tried


def test_defaults_settle_a_dead_hosts_deliveries_within_the_consumer_timeout() -> None:
    """With the shipped settings, 400 held deliveries to a host that never answers are done
    before RabbitMQ would take the message back (about 25 of 30 minutes)."""
    worst = Settings().worst_case_hold_seconds()
    assert 0 < worst < 0.9 * CONSUMER_TIMEOUT_SECONDS


def test_settings_that_could_outlast_the_consumer_timeout_are_refused_on_rabbitmq() -> None:
    """Three times the prefetch could hold a message over an hour: refused on RabbitMQ, naming
    the settings to change; more connections make it fit; the in-process queue has no
    consumer timeout, so it takes them."""
    with pytest.raises(ValidationError, match="DOCROUTE_DELIVERY_PREFETCH"):
        Settings(delivery_prefetch=24, amqp_url=AMQP)
    assert Settings(delivery_prefetch=24, webhook_concurrency=64, amqp_url=AMQP)
    assert Settings(delivery_prefetch=24).embedded_queue


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("DOCROUTE_DELIVERY_PREFETCH", "24", "past RabbitMQ's 30-minute consumer timeout"),
        ("DOCROUTE_PORT", "eighty", "DOCROUTE_PORT: Input should be a valid integer"),
        ("DOCROUTE_RETRY_SCHEDULE_SECONDS", "[60, -1]",
         "DOCROUTE_RETRY_SCHEDULE_SECONDS.1: Input should be greater than or equal to 0"),
    ],
)
def test_the_cli_names_refused_settings_without_a_traceback(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    """A service command with unusable settings exits 2 with one line naming what to fix."""
    env = {"PATH": "/usr/bin:/bin", variable: value, "DOCROUTE_AMQP_URL": AMQP,
           "DOCROUTE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"}
    done = subprocess.run([DOCROUTE, "worker", "delivery"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("docroute: refused settings: ")
    assert said in done.stderr
    assert "Traceback" not in done.stderr
