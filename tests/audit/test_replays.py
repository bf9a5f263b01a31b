"""A replay reads past documents in chunks, each in a short read, and never holds the writer."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import rules
from audit import replays
from foundation.database import SessionFactory
from foundation.migrate import migrated_sessions
from foundation.settings import Settings
from tests.audit.conftest import add_delivery, add_document

SBN = "Số: {n}/TB-UBND\nKhánh Hòa, ngày 2 tháng 3 năm 2026\n\nNơi nhận:\n- Các sở, ban, ngành;\n"


async def _documents(sessions: SessionFactory, count: int) -> list[str]:
    """`count` routed documents to 'sở, ban, ngành' that went to Sở Nội vụ only."""
    ids = []
    for n in range(count):
        document = await add_document(sessions, text=SBN.format(n=n + 1), number=f"{n + 1}/TB")
        await add_delivery(sessions, document, "kh.so-noi-vu")
        ids.append(document.id)
    return ids


async def test_a_chunked_replay_checks_every_document_once(sessions: SessionFactory) -> None:
    """Chunks of 2 over 5 documents give the answer one big chunk gives, each document once."""
    ids = await _documents(sessions, 5)
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    since = dt.date(2026, 1, 1)
    small = await replays.replay(sessions, ruleset, directory, since, chunk=2)
    whole = await replays.replay(sessions, ruleset, directory, since, chunk=1000)
    assert small.documents_checked == whole.documents_checked == 5
    assert sorted(c["document_id"] for c in small.changes) == sorted(ids)
    assert small.changes == whole.changes
    expected = {r.id for r in rules.expand(rules.read_document(SBN.format(n=1)), directory,
                                           ruleset, as_of=since).recipients}
    for change in small.changes:
        assert {a["id"] for a in change["added"]} == expected - {"kh.so-noi-vu"}


async def test_a_chunked_backfill_sends_each_added_agency_once(sessions: SessionFactory) -> None:
    """Backfill in short transactions: a second backfill finds nothing left to add."""
    await _documents(sessions, 3)
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    since = dt.date(2026, 1, 1)
    first = await replays.replay(sessions, ruleset, directory, since, backfill=True, chunk=2)
    assert first.backfilled == sum(len(c["added"]) for c in first.changes) > 0
    again = await replays.replay(sessions, ruleset, directory, since, backfill=True, chunk=2)
    assert (len(again.changes), again.backfilled) == (0, 0)


async def test_the_writer_is_free_while_a_replay_expands(
    embedded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite every transaction takes the write lock: while a chunk is expanded, another
    connection can still begin a write at once (timeout 0)."""
    path = Path(embedded.database_url.split("///", 1)[1])
    free: list[bool] = []
    expand_chunk = replays._changes

    def expand_and_probe(*args: Any) -> list[dict[str, Any]]:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:
            free.append(False)
        finally:
            probe.close()
        return expand_chunk(*args)

    monkeypatch.setattr(replays, "_changes", expand_and_probe)
    async with migrated_sessions(embedded.database_url) as sessions:
        await _documents(sessions, 3)
        result = await replays.replay(
            sessions, rules.default_ruleset(), rules.default_directory(), dt.date(2026, 1, 1),
            chunk=1,
        )
    assert result.documents_checked == 3
    assert free == [True, True, True]


async def test_a_replay_reads_only_the_columns_it_compares(sessions: SessionFactory) -> None:
    """Neither a delivery's reasons nor a document's whole stored expansion are read."""
    await _documents(sessions, 2)
    engine: Any = sessions.kw["bind"]
    selects: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await replays.replay(
            sessions, rules.default_ruleset(), rules.default_directory(), dt.date(2026, 1, 1)
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert selects
    for statement in selects:
        columns = statement.split(" FROM ")[0].removeprefix("SELECT ").split(", ")
        assert "delivery.reasons" not in columns
        assert "document.expansion" not in columns


async def test_a_successor_delivery_is_no_difference(sessions: SessionFactory) -> None:
    """A 2025 document to Sở KH&ĐT went, after the merger, to Sở Tài chính: replayed under the
    same rules it has not changed, and a backfill would never add the abolished body."""
    text = "Số: 3/TB\nKhánh Hòa, ngày 10 tháng 02 năm 2025\n\nNơi nhận:\n- Sở Kế hoạch và Đầu tư;\n"
    document = await add_document(sessions, text=text, date=dt.date(2025, 2, 10))
    await add_delivery(sessions, document, "kh.so-tai-chinh")
    result = await replays.replay(
        sessions, rules.default_ruleset(), rules.default_directory(), dt.date(2025, 1, 1),
        backfill=True,
    )
    assert (result.documents_checked, result.changes, result.backfilled) == (1, [], 0)
