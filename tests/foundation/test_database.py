"""Database helpers on both stacks: bulk inserts of plain rows (COPY on PostgreSQL)."""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from foundation.database import SessionFactory, insert_rows, transaction
from foundation.models import OutboxMessage
from foundation.models.clock import utcnow


def _rows(count: int) -> list[dict[str, object]]:
    return [
        {"message_id": str(uuid.uuid4()), "queue": "deliveries",
         "payload": {"delivery_ids": [f"d-{n}"], "note": "Sở Tư pháp"}, "created_at": utcnow()}
        for n in range(count)
    ]


async def _stored(sessions: SessionFactory, ids: list[str]) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.message_id).in_(ids))
        return list((await session.exec(query)).all())


async def test_inserted_rows_read_back_with_their_json(sessions: SessionFactory) -> None:
    """Rows inserted in bulk are stored with every column, JSON and Vietnamese text intact."""
    rows = _rows(3)
    async with transaction(sessions) as session:
        await insert_rows(session, OutboxMessage, rows)
    stored = {m.message_id: m for m in await _stored(sessions, [r["message_id"] for r in rows])}
    assert {k: stored[k].payload for k in stored} == {r["message_id"]: r["payload"] for r in rows}
    assert {m.queue for m in stored.values()} == {"deliveries"}


async def test_inserted_rows_roll_back_with_their_transaction(sessions: SessionFactory) -> None:
    """Rows inserted as the first statement of a transaction that then fails are gone:
    the insert is part of the caller's transaction, never committed on its own."""
    rows = _rows(2)
    try:
        async with transaction(sessions) as session:
            await insert_rows(session, OutboxMessage, rows)
            raise RuntimeError("the caller fails after the insert")
    except RuntimeError:
        pass
    assert await _stored(sessions, [str(r["message_id"]) for r in rows]) == []
