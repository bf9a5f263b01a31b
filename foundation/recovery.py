"""Re-driving unfinished work from the database after the in-process queue lost its messages.

The in-process queue lives in memory: a restart empties it. The database still says which
documents are not routed and which deliveries are pending, so fresh messages are queued for
them; the consumers are idempotent, so a message that was not lost costs only a skip.
"""

from __future__ import annotations

import structlog
from sqlmodel import col, select

from foundation.broker import DOCUMENTS
from foundation.database import SessionFactory, transaction
from foundation.models import Delivery, DeliveryState, Document
from foundation.outbox import add_delivery_messages, add_message

log = structlog.get_logger(__name__)


async def redrive_unfinished(sessions: SessionFactory) -> int:
    """Queue a message for every unrouted document and pending delivery; return how many."""
    async with transaction(sessions) as session:
        unrouted = (
            await session.exec(select(Document.id).where(col(Document.routed_at).is_(None)))
        ).all()
        # Deliveries waiting for a later round stay with consumers.retries, which requeues
        # them when due (their wait is in the database, so the restart lost nothing).
        waiting = col(Delivery.retry_at).is_not(None)
        pending = (
            await session.exec(
                select(Delivery.id).where(Delivery.state == DeliveryState.PENDING, ~waiting)
            )
        ).all()
        for document_id in unrouted:
            add_message(session, DOCUMENTS, {"document_id": document_id})
        add_delivery_messages(session, list(pending))
    if unrouted or pending:
        log.info("redriven", documents=len(unrouted), deliveries=len(pending))
    return len(unrouted) + len(pending)
