"""`docroute documents recall|update|replace` and `docroute edxml write` on a stored document."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docroute.cli import app
from edxml import DocumentPacket, read_packet
from foundation.models import Role
from foundation.settings import Settings, get_settings
from tests.conftest import in_process_client, running
from tests.docroute.test_revisions import SENDER, text


@pytest.fixture
def env(embedded: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI pointed at the embedded test database."""
    monkeypatch.setenv("DOCROUTE_DATABASE_URL", embedded.database_url)
    get_settings.cache_clear()
    yield embedded
    get_settings.cache_clear()


async def _stored(settings: Settings, tokens: Any, settled: Any) -> str:
    async with running(settings) as service, in_process_client(service) as client:
        headers = await tokens(service, Role.SENDER, SENDER)
        sent = await client.post("/v1/documents", json={"text": text("Sở Nội vụ")},
                                 headers=headers)
        await settled(service, sent.json()["id"])
    return str(sent.json()["id"])


def test_write_recall_and_replace_from_the_command_line(
    env: Settings, tmp_path: Path, tokens: Any, settled: Any
) -> None:
    # The commands run their own event loop: the document is stored in one beforehand.
    document = asyncio.run(_stored(env, tokens, settled))
    runner = CliRunner()
    written = runner.invoke(app, ["edxml", "write", document, "kh.so-noi-vu"])
    assert written.exit_code == 0, written.stderr
    packet = read_packet(written.stdout.encode())
    assert isinstance(packet, DocumentPacket) and packet.to[0].organ_id == "kh.so-noi-vu"
    assert packet.to_places == ("- Sở Nội vụ;", "- Lưu: VT.")
    unknown = runner.invoke(app, ["edxml", "write", "nope", "kh.so-noi-vu"])
    assert unknown.exit_code == 2 and "no document has id 'nope'" in unknown.stderr
    recalled = runner.invoke(app, ["documents", "recall", document, "--reason", "Sai số liệu"])
    assert recalled.exit_code == 0, recalled.stderr
    assert json.loads(recalled.stdout)["asked"] == ["kh.so-noi-vu"]
    file = tmp_path / "42.txt"
    file.write_text(text("Sở Nội vụ").replace("41/UBND-VP", "42/UBND-VP"), encoding="utf-8")
    replaced = runner.invoke(app, ["documents", "replace", document, str(file)])
    assert replaced.exit_code == 0, replaced.stderr
    # The service's log lines share stdout; the answer is the JSON object at the end.
    answer = replaced.stdout[replaced.stdout.rindex("{\n"):]
    assert json.loads(answer)["replaces"] == document
