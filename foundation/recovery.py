"""Finishing unfinished work from the database, which is the source of truth.

Two ways work goes unfinished: the in-process queue forgets its messages on a restart, and
on RabbitMQ a message can be dead-lettered (or its outbox row lost with a crashed relay's
transaction) while the database still says the work is to do. So:

- `redrive_unfinished`, at start-up on the embedded default: a message for every unrouted
  document and every pending delivery;
- `sweep_stale`, every few seconds on every stack: a message for each document accepted but
  not routed, and each delivery planned but not settled, that has waited longer than the
  sweep's age (and was not queued again by the sweep within that age). A document whose
  routing failed as often as the delivery limit allows is left to an operator;
- `reroute_document`, `redrive_deliveries`: the operator's commands.

The consumers are idempotent, so a message that was not lost costs only a skip; a delivery
that did reach the agency before its settlement was lost is sent again under the same
Idempotency-Key, and its history says it may be a re-send (`Delivery.redrives`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import structlog
from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.broker import DOCUMENTS
from foundation.database import SessionFactory, among, on_postgres, transaction
from foundation.errors import ClerkError
from foundation.models import Delivery, DeliveryState, Document
from foundation.models.clock import utcnow
from foundation.outbox import add_delivery_messages, add_message
from foundation.periodic import every

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


async def sweep_stale(
    sessions: SessionFactory, older_than: float, attempts: int, *, limit: int = 2000
) -> int:
    """Queue again what has waited longer than `older_than` seconds; return how many.

    `attempts`: a document whose routing failed this often is left to an operator.
    """
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=older_than)
    async with transaction(sessions) as session:
        documents = await _stale_documents(session, cutoff, attempts, limit)
        if documents:
            await session.exec(update(Document).where(
                among(session, col(Document.id), documents)).values(redriven_at=now))
        for document_id in documents:
            add_message(session, DOCUMENTS, {"document_id": document_id})
        deliveries = await _stale_deliveries(session, cutoff, limit)
        if deliveries:
            # updated_at moves on, so the next sweep leaves them alone for another age.
            await session.exec(update(Delivery).where(
                among(session, col(Delivery.id), deliveries)).values(
                    redrives=col(Delivery.redrives) + 1, updated_at=now))
            add_delivery_messages(session, deliveries)
    if documents or deliveries:
        log.warning("stale_work_redriven", documents=len(documents), deliveries=len(deliveries))
    return len(documents) + len(deliveries)


async def _stale_documents(
    session: AsyncSession, cutoff: dt.datetime, attempts: int, limit: int
) -> list[str]:
    query = (
        select(Document.id)
        .where(col(Document.routed_at).is_(None))
        .where(col(Document.created_at) < cutoff)
        .where(or_(col(Document.redriven_at).is_(None), col(Document.redriven_at) < cutoff))
        .where(col(Document.routing_attempts) < attempts)
        .limit(limit)
    )
    if on_postgres(session):  # two sweeping processes never take the same rows
        query = query.with_for_update(skip_locked=True)
    return list((await session.exec(query)).all())


async def _stale_deliveries(session: AsyncSession, cutoff: dt.datetime, limit: int) -> list[str]:
    query = (
        select(Delivery.id)
        .where(col(Delivery.state) == DeliveryState.PENDING)
        .where(col(Delivery.retry_at).is_(None))  # waiting for a later round: not stale
        .where(col(Delivery.updated_at) < cutoff)
        .limit(limit)
    )
    if on_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list((await session.exec(query)).all())


async def sweep_forever(
    sessions: SessionFactory, every_seconds: float, older_than: float, attempts: int,
    on_commit: Callable[[], None],
) -> None:
    """Sweep every `every_seconds` until cancelled (a failed pass is tried again)."""

    async def step() -> None:
        if await sweep_stale(sessions, older_than, attempts):
            on_commit()

    await every(every_seconds, step, "recovery_sweep_failed")


async def reroute_document(session: AsyncSession, document_id: str) -> Document:
    """Queue an unrouted document for the router again, whatever its failed attempts."""
    document = await session.get(Document, document_id, with_for_update=True)
    if document is None:
        raise ClerkError(404, "document_not_found", f"No document {document_id}.")
    if document.routed_at is not None:
        raise ClerkError(409, "already_routed",
                         f"Document {document_id} was routed at {document.routed_at}.")
    document.routing_attempts = 0
    document.redriven_at = utcnow()
    session.add(document)
    add_message(session, DOCUMENTS, {"document_id": document_id})
    return document


async def redrive_deliveries(session: AsyncSession, delivery_ids: list[str] | None) -> int:
    """Queue planned-but-unsettled deliveries again now (all of them when `delivery_ids` is
    None), including those waiting for a later round; return how many."""
    query = select(Delivery.id).where(col(Delivery.state) == DeliveryState.PENDING)
    if delivery_ids is not None:
        query = query.where(among(session, col(Delivery.id), delivery_ids))
    pending = list((await session.exec(query)).all())
    if delivery_ids is not None and (unknown := set(delivery_ids) - set(pending)):
        named = ", ".join(sorted(unknown))
        raise ClerkError(409, "not_pending", f"Not pending (settled, or no such delivery): {named}")
    if pending:
        await session.exec(update(Delivery).where(among(session, col(Delivery.id), pending))
                           .values(retry_at=None, redrives=col(Delivery.redrives) + 1,
                                   updated_at=utcnow()))
        add_delivery_messages(session, pending)
    return len(pending)
