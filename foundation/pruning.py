"""Pruning what only matters for a while: sent outbox rows and processed-message ids.

An outbox row is done once the broker confirmed it; a processed-message id guards against a
redelivery, which RabbitMQ makes within its 30-minute consumer timeout, not weeks later. Both
tables would otherwise grow with every document forever. Rows older than the retention period
(`DOCROUTE_RETENTION_DAYS`, default 7) are deleted in batches, each its own short transaction,
so pruning never holds the writer for long. An unsent outbox row is never pruned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, Delete, delete, select, tuple_
from sqlmodel import col

from foundation.database import SessionFactory, transaction
from foundation.models import OutboxMessage, ProcessedMessage

log = structlog.get_logger(__name__)
BATCH = 5000
EVERY_SECONDS = 3600.0


async def prune(
    sessions: SessionFactory, now: dt.datetime, keep: dt.timedelta, batch: int = BATCH
) -> tuple[int, int]:
    """Delete sent outbox rows and processed-message ids older than `keep`; (outbox rows,
    processed ids) deleted."""
    cutoff = now - keep
    sent = (
        select(col(OutboxMessage.id))
        .where(col(OutboxMessage.sent_at).is_not(None), col(OutboxMessage.sent_at) < cutoff)
        .limit(batch)
    )
    seen = (
        select(col(ProcessedMessage.consumer), col(ProcessedMessage.message_id))
        .where(col(ProcessedMessage.at) < cutoff)
        .limit(batch)
    )
    outbox = await _in_batches(
        sessions, delete(OutboxMessage).where(col(OutboxMessage.id).in_(sent)), batch
    )
    key = tuple_(col(ProcessedMessage.consumer), col(ProcessedMessage.message_id))
    processed = await _in_batches(
        sessions, delete(ProcessedMessage).where(key.in_(seen)), batch
    )
    if outbox or processed:
        log.info("pruned", outbox=outbox, processed_messages=processed, before=cutoff.isoformat())
    return outbox, processed


async def _in_batches(sessions: SessionFactory, statement: Delete, batch: int) -> int:
    total = 0
    while True:
        async with transaction(sessions) as session:
            # sqlmodel types exec() for selects only; a DELETE returns a CursorResult.
            done = await session.exec(statement)
            result = cast(CursorResult[Any], done)
        deleted = int(result.rowcount or 0)
        total += deleted
        if deleted < batch:
            return total
