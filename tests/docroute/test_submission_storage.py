"""Storing a submission on PostgreSQL in one statement: the same rows as the ORM's transaction.

docroute/submission.py inserts a new document and its outbox row with one statement that
commits on its own (one round trip); SQLite keeps the ORM's transaction. Both must store
byte for byte the same columns, and a document already stored must write nothing.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import pytest

from docroute.submission import (
    Clerk,
    Original,
    PacketFields,
    Submission,
    _store_in_one_statement,
    _store_in_transaction,
    new_document,
    read_checked,
    submit,
)
from foundation.database import SessionFactory, transaction
from foundation.errors import ClerkError
from foundation.migrate import migrated_sessions
from foundation.models import Document, Role
from foundation.tokens import find_caller, issue_token, revoke_token
from router.recipients import shipped

TEXT = ("Số: 12/UBND-VP\nKhánh Hòa, ngày 4 tháng 3 năm 2025\nCÔNG VĂN\nVề việc thử\n\n"
        "Nội dung.\n\nNơi nhận:\n- Sở Nội vụ;\n- Sở Tư phsp;\n- Lưu: VT.\n")
REPLACED = str(uuid.uuid4())
# These tests are about storage, not about which data is in force: the shipped files.
SHIPPED = shipped()


@pytest.fixture
async def pg_sessions(pg_url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on a fresh migrated PostgreSQL database."""
    async with migrated_sessions(pg_url) as sessions:
        yield sessions


def _document(number: str, key: str, caller: int = 3) -> Document:
    """A document with as many columns set as a submission can set (packet, clerk, file)."""
    submission = Submission(text=TEXT, sender="kh.ubnd-tinh", number=number,
                            date=datetime.date(2025, 3, 4))
    packet = PacketFields(edxml_id=f"000.00.00.H34,2025/03/04,{number}",
                          packet={"to": [{"agency_id": "kh.so-noi-vu", "name": "Sở Nội vụ"}],
                                  "via": "hub"}, urgency="Khẩn")
    clerk = Clerk(7, [{"line": 9, "action": "not_recipient", "reason": "đã gửi",
                       "text": "- Sở Tư phsp;"}])
    parsed = read_checked(submission, SHIPPED)
    document = new_document(submission, parsed, key, caller, packet, clerk)
    original = Original("cong-van.pdf", "application/pdf", b"%PDF-1.4 \x00\xff")
    document.original, document.original_name = original.data, original.name
    document.original_type, document.replaces = original.content_type, REPLACED
    return document


async def _raw_rows(url: str, table: str, where: str, value: str) -> list[dict[str, Any]]:
    """Rows as PostgreSQL holds them (JSON as text), without SQLAlchemy's decoding."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [dict(row) for row in
                await connection.fetch(f"SELECT * FROM {table} WHERE {where} = $1", value)]
    finally:
        await connection.close()


async def test_one_statement_stores_the_same_row_as_the_orm(
    pg_sessions: SessionFactory, pg_url: str,
) -> None:
    """Every column of the document, and its outbox row, as the ORM's transaction stores
    them (JSON null and SQL NULL alike), apart from the ids and what they are made of."""
    by_orm, at_once = _document("12/UBND-VP", "key-orm"), _document("13/UBND-VP", "key-one")
    assert (await _store_in_transaction(pg_sessions, by_orm))[1]
    assert (await _store_in_one_statement(pg_sessions, at_once))[1]
    rows = [(await _raw_rows(pg_url, "document", "id", d.id))[0] for d in (by_orm, at_once)]
    differ = {"id", "idempotency_key", "number", "content_hash", "edxml_id", "created_at"}
    assert {k: v for k, v in rows[0].items() if k not in differ} == \
        {k: v for k, v in rows[1].items() if k not in differ}
    assert rows[1]["resolutions"].startswith("[{") and rows[1]["original"].endswith(b"\xff")
    messages = [await _raw_rows(pg_url, "outbox", "payload::jsonb->>'document_id'", d.id)
                for d in (by_orm, at_once)]
    assert [len(m) for m in messages] == [1, 1]
    assert messages[1][0]["payload"] == messages[0][0]["payload"].replace(by_orm.id, at_once.id)
    same = {"queue", "sent_at"}
    assert {k: messages[0][0][k] for k in same} == {k: messages[1][0][k] for k in same}


async def test_the_token_checking_statement_stores_the_same_row(
    pg_sessions: SessionFactory, pg_url: str,
) -> None:
    """With check_token (a caller from the API's cache), the one statement stores the same
    document and outbox row as without, while the token is valid; once it is revoked it
    stores nothing and answers 401, even for the document stored before."""
    async with transaction(pg_sessions) as session:
        token = await issue_token(session, Role.SENDER, "kh.ubnd-tinh")
        token_id = (await find_caller(session, token)).token_id  # type: ignore[union-attr]
    plain = _document("12/UBND-VP", "key-plain", token_id)
    checked = _document("13/UBND-VP", "key-checked", token_id)
    assert (await _store_in_one_statement(pg_sessions, plain))[1]
    assert (await _store_in_one_statement(pg_sessions, checked, check_token=True))[1]
    rows = [(await _raw_rows(pg_url, "document", "id", d.id))[0] for d in (plain, checked)]
    differ = {"id", "idempotency_key", "number", "content_hash", "edxml_id", "created_at"}
    assert {k: v for k, v in rows[0].items() if k not in differ} == \
        {k: v for k, v in rows[1].items() if k not in differ}
    assert len(await _raw_rows(pg_url, "outbox", "payload::jsonb->>'document_id'",
                               checked.id)) == 1
    async with transaction(pg_sessions) as session:
        await revoke_token(session, token)
    for document in (_document("14/UBND-VP", "key-late", token_id),
                     _document("13/UBND-VP", "key-checked", token_id)):
        with pytest.raises(ClerkError) as refused:
            await _store_in_one_statement(pg_sessions, document, check_token=True)
        assert (refused.value.status, refused.value.code) == (401, "bad_token")
    assert await _raw_rows(pg_url, "document", "number", "14/UBND-VP") == []


async def test_a_document_stored_before_writes_nothing_more(
    pg_sessions: SessionFactory, pg_url: str,
) -> None:
    """The same document again (same key, or same issuer, number and date) is the first one,
    with no second row and no second outbox message; other content is a 409."""
    submission = Submission(text=TEXT, sender="kh.ubnd-tinh")
    first, created = await submit(pg_sessions, submission, "k-1", None, SHIPPED)
    again, again_created = await submit(pg_sessions, submission, "k-1", None, SHIPPED)
    by_number, by_number_created = await submit(pg_sessions, submission, None, None, SHIPPED)
    assert (created, again_created, by_number_created) == (True, False, False)
    assert again.id == by_number.id == first.id
    assert len(await _raw_rows(pg_url, "outbox", "payload::jsonb->>'document_id'",
                               first.id)) == 1
    assert len(await _raw_rows(pg_url, "document", "number", "12/UBND-VP")) == 1
    changed = Submission(text=TEXT.replace("Nội dung.", "Nội dung khác."), sender="kh.ubnd-tinh")
    with pytest.raises(ClerkError, match="already sent") as refused:
        await submit(pg_sessions, changed, None, None, SHIPPED)
    assert (refused.value.status, refused.value.code) == (409, "changed_resubmission")
