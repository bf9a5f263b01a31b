"""`docroute audit ...` on the embedded database, as an auditor runs it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from docroute.cli import app
from foundation.database import create_engine, session_factory, transaction
from foundation.migrate import migrate
from foundation.models import DeliveryState
from foundation.settings import get_settings
from rules.defaults import DEFAULT_RULES
from tests.audit.conftest import add_delivery, add_document


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An embedded database with one failed and one unconfirmed delivery, named in the env."""
    url = f"sqlite+aiosqlite:///{tmp_path}/audit.sqlite3"

    async def fill() -> None:
        engine = create_engine(url)
        await migrate(engine)
        sessions = session_factory(engine)
        doc = await add_document(sessions, number="5/TB-UBND")
        await add_delivery(sessions, doc, "kh.so-y-te", state=DeliveryState.FAILED)
        await add_delivery(sessions, doc, "kh.so-noi-vu")
        await engine.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("DOCROUTE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_missed_as_csv(database: str) -> None:
    """`audit missed --csv --state not_delivered` prints a header and the failed delivery."""
    result = CliRunner().invoke(app, ["audit", "missed", "--csv", "--state", "not_delivered"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\ufeff")
    lines = result.stdout.removeprefix("\ufeff").strip().splitlines()
    assert lines[0].startswith("finding,") and len(lines) == 2
    assert "kh.so-y-te" in lines[1] and "5/TB-UBND" in lines[1]


def test_bad_state_names_the_choices(database: str) -> None:
    """An unknown --state exits 2 with the allowed values."""
    result = CliRunner().invoke(app, ["audit", "missed", "--state", "lost"])
    assert result.exit_code == 2 and "not_delivered" in result.output


def test_verify_exits_1_and_names_an_edited_event(database: str) -> None:
    """`audit verify` passes on an untouched history and exits 1 naming an edited event."""
    assert CliRunner().invoke(app, ["audit", "verify"]).exit_code == 0

    async def tamper() -> None:
        engine = create_engine(database)
        async with transaction(session_factory(engine)) as session:
            await session.exec(text("UPDATE delivery_event SET note = 'x' WHERE seq = 1"))  # type: ignore[call-overload]
        await engine.dispose()

    asyncio.run(tamper())
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "edited" in result.output and "2 break(s)" in result.output


def test_replay_lists_what_the_document_lacks(database: str) -> None:
    """The stored document went to two departments only: a dry replay lists it with the rest
    of 'Các sở, ban, ngành' and sends nothing; a bad date exits 2."""
    same = CliRunner().invoke(
        app, ["audit", "replay", "--rules", str(DEFAULT_RULES), "--since", "2026-01-01"]
    )
    assert same.exit_code == 0, same.output
    assert '"documents_checked": 1' in same.output
    assert '"documents_changed": 1' in same.output and '"backfilled": 0' in same.output
    assert '"id": "kh.ban-qlda-phat-trien-tinh"' in same.output
    scripted = CliRunner().invoke(
        app, ["audit", "replay", "--rules", str(DEFAULT_RULES), "--since", "2026-01-01", "--json"]
    )
    assert scripted.exit_code == 0, scripted.output
    assert json.loads(scripted.stdout)["documents_changed"] == 1  # nothing but JSON on stdout
    logged = [json.loads(line)["event"] for line in scripted.stderr.splitlines()]
    assert "replay" in logged  # the log line went to stderr
    bad = CliRunner().invoke(
        app, ["audit", "replay", "--rules", str(DEFAULT_RULES), "--since", "01/01/2026"]
    )
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
