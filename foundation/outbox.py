"""Writing to the outbox, and claiming message ids: both inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import DateTime, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.broker import DELIVERIES, DELIVERIES_PER_MESSAGE, dead_letter_queue
from foundation.database import on_postgres
from foundation.models import OutboxMessage, ProcessedMessage
from foundation.models.clock import utcnow


def add_message(session: AsyncSession, queue: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message to publish once the surrounding transaction commits."""
    message = OutboxMessage(message_id=str(uuid.uuid4()), queue=queue, payload=payload)
    session.add(message)
    return message


def add_delivery_messages(session: AsyncSession, delivery_ids: list[str]) -> int:
    """Queue the deliveries for sending, in messages of up to DELIVERIES_PER_MESSAGE ids;
    return how many messages."""
    payloads = _delivery_payloads(delivery_ids)
    for payload in payloads:
        add_message(session, DELIVERIES, payload)
    return len(payloads)


def delivery_message_rows(delivery_ids: list[str]) -> list[dict[str, Any]]:
    """The outbox rows `add_delivery_messages` adds, as plain dicts for a bulk insert."""
    at = utcnow()
    return [
        {"message_id": str(uuid.uuid4()), "queue": DELIVERIES, "payload": payload,
         "created_at": at}
        for payload in _delivery_payloads(delivery_ids)
    ]


def _delivery_payloads(delivery_ids: list[str]) -> list[dict[str, Any]]:
    step = DELIVERIES_PER_MESSAGE
    return [{"delivery_ids": delivery_ids[first:first + step]}
            for first in range(0, len(delivery_ids), step)]


def park_delivery(session: AsyncSession, delivery_id: str, failure: str) -> None:
    """Put a failed delivery in the deliveries' dead-letter queue, with the reason, once the
    surrounding transaction (the one that marks it failed) commits."""
    payload = {"delivery_id": delivery_id, "failure": failure}
    add_message(session, dead_letter_queue(DELIVERIES), payload)


# One array parameter rather than a VALUES row per id: the statement is compiled once, not
# once per batch size (compiling it showed in the delivery workers' profile).
# PostgreSQL: claim the ids of the `:ids` array for `:consumer` (also a part of the delivery
# workers' one-statement commit, consumers.settlement).
CLAIM_IDS_SQL = (
    "INSERT INTO processed_message (consumer, message_id, at) "
    "SELECT :consumer, m, :at FROM unnest(:ids) AS m ON CONFLICT DO NOTHING"
)
_CLAIM_ALL = text(CLAIM_IDS_SQL).bindparams(bindparam("ids", type_=ARRAY(String)),
             bindparam("at", type_=DateTime(timezone=True)))


async def claim_messages(session: AsyncSession, consumer: str, message_ids: list[str]) -> None:
    """Record a batch of handled message ids in one statement (ids already there are kept).

    In a fixed order, so that two transactions claiming some of the same ids lock them in
    the same order."""
    if not message_ids:
        return
    at, ids = utcnow(), sorted(set(message_ids))
    if on_postgres(session):
        connection = await session.connection()
        await connection.execute(_CLAIM_ALL, {"consumer": consumer, "ids": ids, "at": at})
        return
    rows = [{"consumer": consumer, "message_id": m, "at": at} for m in ids]
    await session.exec(_insert(session).values(rows).on_conflict_do_nothing())


async def claim_message(session: AsyncSession, consumer: str, message_id: str) -> bool:
    """Record that the consumer handles this message; False if it was already handled.

    On PostgreSQL a concurrent claim of the same id waits for the first transaction and then
    finds the row, so two redeliveries never both take effect.
    """
    values = {"consumer": consumer, "message_id": message_id, "at": utcnow()}
    statement = _insert(session).values(**values).on_conflict_do_nothing()
    result = await session.exec(statement)
    return bool(result.rowcount)


def _insert(session: AsyncSession) -> PgInsert | SqliteInsert:
    """An INSERT into processed_message in the session's dialect (both know ON CONFLICT)."""
    return pg_insert(ProcessedMessage) if on_postgres(session) else sqlite_insert(ProcessedMessage)
