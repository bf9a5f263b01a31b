"""Sent outbox rows and processed-message ids go after the retention period; nothing else."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from foundation.database import SessionFactory, transaction
from foundation.models import OutboxMessage, ProcessedMessage
from foundation.pruning import prune

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


async def test_old_sent_rows_and_old_ids_are_pruned_in_batches(sessions: SessionFactory) -> None:
    """Of five old sent rows (batches of 2), an old unsent row and a recent sent row, only the
    old sent ones go; of processed ids, only the old ones."""
    old, recent = NOW - 2 * WEEK, NOW - dt.timedelta(days=1)
    rows = [
        OutboxMessage(message_id=f"old-{n}", queue="q", payload={}, created_at=old, sent_at=old)
        for n in range(5)
    ]
    rows.append(OutboxMessage(message_id="unsent", queue="q", payload={}, created_at=old))
    rows.append(OutboxMessage(message_id="recent", queue="q", payload={}, created_at=recent,
                              sent_at=recent))
    seen = [ProcessedMessage(consumer="router", message_id=f"m-{n}", at=old) for n in range(3)]
    seen.append(ProcessedMessage(consumer="router", message_id="fresh", at=recent))
    async with transaction(sessions) as session:
        session.add_all([*rows, *seen])
    assert await prune(sessions, NOW, WEEK, batch=2) == (5, 3)
    async with sessions() as session:
        left = (await session.exec(select(OutboxMessage.message_id))).all()
        ids = (await session.exec(select(col(ProcessedMessage.message_id)))).all()
    assert sorted(left) == ["recent", "unsent"]
    assert list(ids) == ["fresh"]
    assert await prune(sessions, NOW, WEEK, batch=2) == (0, 0)
