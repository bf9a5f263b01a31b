"""The delivery consumer: sends each planned delivery through its agency's channel.

A batch is handled in three steps: read the deliveries, send them concurrently (the side
effect, carrying the delivery id as idempotency key), then commit every outcome with its
history row and processed message id in one transaction. Acks come last. A crash before the
commit means a resend under the same key; a crash after it means a redelivery that finds the
delivery settled and is only acked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consumers.channel import Channel, Outcome
from router.broker import Envelope
from router.channels import channels_of
from router.database import SessionFactory, transaction
from router.faults import DELIVERY_AFTER_COMMIT, DELIVERY_AFTER_SIDE_EFFECT, crash_point
from router.history import next_event
from router.models import Delivery, DeliveryEvent, DeliveryState, Document
from router.models.clock import utcnow
from router.outbox import claim_messages

log = structlog.get_logger(__name__)
CONSUMER = "delivery"


@dataclass
class _Job:
    envelope: Envelope
    delivery: Delivery | None = None
    document: Document | None = None
    kind: str = "inbox"
    target: str | None = None
    outcome: Outcome | None = None
    fault: bool = False
    repeat: bool = False  # a second copy of a message already in this batch


class DeliveryWorker:
    """Consumes the deliveries queue."""

    def __init__(self, sessions: SessionFactory, channels: Mapping[str, Channel]) -> None:
        self.sessions = sessions
        self.channels = channels

    async def handle(self, batch: list[Envelope]) -> None:
        """Send, commit, then ack (or dead-letter the failed) a batch of deliveries."""
        jobs = [_Job(envelope) for envelope in batch]
        await self._load(jobs)
        pending = [
            j for j in jobs
            if j.delivery and not j.repeat and j.delivery.state == DeliveryState.PENDING
        ]
        await asyncio.gather(*(self._send(job) for job in pending))
        crash_point(DELIVERY_AFTER_SIDE_EFFECT)
        await self._commit(jobs)
        crash_point(DELIVERY_AFTER_COMMIT)
        await asyncio.gather(*(self._settle(job) for job in jobs))

    async def _load(self, jobs: list[_Job]) -> None:
        by_id: dict[str, list[_Job]] = {}
        for job in jobs:
            by_id.setdefault(_delivery_id(job.envelope.body) or "", []).append(job)
        async with self.sessions() as session:
            query = select(Delivery).where(col(Delivery.id).in_([k for k in by_id if k]))
            deliveries = list((await session.exec(query)).all())
            document_ids = {d.document_id for d in deliveries}
            query_docs = select(Document).where(col(Document.id).in_(document_ids))
            documents = {d.id: d for d in (await session.exec(query_docs)).all()}
            channels = await channels_of(session, {d.agency_id for d in deliveries})
            for delivery in deliveries:
                channel = channels[delivery.agency_id]
                for position, job in enumerate(by_id[delivery.id]):
                    job.delivery, job.document = delivery, documents[delivery.document_id]
                    job.kind, job.target = channel.kind, channel.target
                    job.repeat = position > 0

    async def _send(self, job: _Job) -> None:
        assert job.delivery is not None and job.document is not None
        channel = self.channels.get(job.kind)
        try:
            if channel is None:
                job.outcome = Outcome(False, f"no channel {job.kind!r} in this worker")
            else:
                job.outcome = await channel.send(job.delivery, job.document, job.target)
        except Exception:
            # Unexpected: leave the delivery pending and let the broker redeliver.
            log.exception("channel_fault", delivery_id=job.delivery.id)
            job.fault = True

    async def _commit(self, jobs: list[_Job]) -> None:
        decided = [j for j in jobs if j.outcome is not None and j.delivery is not None]
        if not decided:
            return
        # One statement per kind of outcome rather than several per delivery: the commit is
        # what limits a worker's throughput.
        groups: dict[tuple[str, str, str], list[str]] = {}
        for job in decided:
            assert job.delivery is not None and job.outcome is not None
            outcome = DeliveryState.DELIVERED if job.outcome.delivered else DeliveryState.FAILED
            groups.setdefault((outcome, job.kind, job.outcome.note), []).append(job.delivery.id)
        async with transaction(self.sessions) as session:
            await claim_messages(session, CONSUMER, [j.envelope.message_id for j in decided])
            events: list[DeliveryEvent] = []
            for (state, kind, note), ids in groups.items():
                # Only pending deliveries change (and are locked): a concurrent redelivery of
                # the same delivery finds it settled and writes nothing.
                changed = await session.exec(
                    update(Delivery)
                    .where(col(Delivery.id).in_(ids))
                    .where(col(Delivery.state) == DeliveryState.PENDING)
                    .values(state=state, channel=kind, updated_at=utcnow(),
                            failure=None if state == DeliveryState.DELIVERED else note)
                    .returning(col(Delivery.id), col(Delivery.event_count),
                               col(Delivery.last_hash))
                )
                rows = cast(list[tuple[str, int, str | None]], changed.all())
                events.extend(
                    next_event(delivery_id, count, last, "state", state, note=note,
                               actor=f"{CONSUMER}:{kind}")
                    for delivery_id, count, last in rows
                )
            await _chain(session, events)

    async def _settle(self, job: _Job) -> None:
        bound = log.bind(message_id=job.envelope.message_id)
        if job.delivery is None:
            bound.error("delivery_not_found", body=job.envelope.body[:200].decode(errors="replace"))
            await job.envelope.reject(requeue=False)
            return
        bound = bound.bind(delivery_id=job.delivery.id, document_id=job.delivery.document_id)
        if job.fault:
            await job.envelope.reject(requeue=True)
        elif job.outcome is not None and not job.outcome.delivered:
            bound.warning("delivery_failed", reason=job.outcome.note, channel=job.kind)
            await job.envelope.reject(requeue=False)  # parked in the dead-letter queue
        else:
            await job.envelope.ack()
            if job.outcome is not None:
                bound.info("delivered", channel=job.kind, note=job.outcome.note)


async def _chain(session: AsyncSession, events: list[DeliveryEvent]) -> None:
    """Store the new history rows and move each delivery's anchor to its new last row."""
    if not events:
        return
    anchors = [{"id": e.delivery_id, "event_count": e.seq, "last_hash": e.hash} for e in events]
    await session.exec(update(Delivery), params=anchors)  # bulk UPDATE by primary key
    session.add_all(events)


def _delivery_id(body: bytes) -> str | None:
    try:
        value = json.loads(body)["delivery_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None
