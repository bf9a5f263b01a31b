"""Later rounds of attempts: due deliveries go back on the queue, the rest keep waiting."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import col, select

from consumers.retries import requeue_due
from foundation.broker import DELIVERIES
from foundation.database import SessionFactory, transaction
from foundation.deliveries import retry_delivery
from foundation.models import Delivery, DeliveryState, OutboxMessage
from foundation.models.clock import utcnow
from tests.audit.conftest import add_delivery, add_document


async def _waiting(sessions: SessionFactory, agency: str, due_in: float) -> Delivery:
    document = await add_document(sessions)
    delivery = await add_delivery(sessions, document, agency, state=DeliveryState.PENDING)
    async with transaction(sessions) as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == delivery.id).values(
            attempt_rounds=1, retry_at=utcnow() + dt.timedelta(seconds=due_in)))
    return delivery


async def _queued(sessions: SessionFactory) -> list[list[str]]:
    async with sessions() as session:
        rows = await session.exec(select(OutboxMessage).where(OutboxMessage.queue == DELIVERIES))
        return [row.payload["delivery_ids"] for row in rows.all()]


async def _reload(sessions: SessionFactory, delivery_id: str) -> Delivery:
    async with sessions() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


async def test_only_due_deliveries_are_requeued_and_stop_waiting(
    sessions: SessionFactory,
) -> None:
    """A delivery whose next round is due gets a deliveries message and no longer waits;
    one due later keeps its wait and gets no message."""
    due = await _waiting(sessions, "kh.due", due_in=-1)
    later = await _waiting(sessions, "kh.later", due_in=3600)
    assert await requeue_due(sessions) == 1
    assert await _queued(sessions) == [[due.id]]
    assert (await _reload(sessions, due.id)).retry_at is None
    assert (await _reload(sessions, later.id)).retry_at is not None
    assert await requeue_due(sessions) == 0  # nothing queued twice


async def test_a_clerks_retry_sends_a_waiting_delivery_now_with_a_fresh_schedule(
    sessions: SessionFactory,
) -> None:
    """`docroute deliveries retry` on a delivery waiting for a later round queues it at
    once and starts its retry schedule over."""
    waiting = await _waiting(sessions, "kh.slow", due_in=3600)
    async with transaction(sessions) as session:
        await retry_delivery(session, waiting.id, "cli")
    row = await _reload(sessions, waiting.id)
    assert (row.state, row.attempt_rounds, row.retry_at) == (DeliveryState.PENDING, 0, None)
    assert await _queued(sessions) == [[waiting.id]]
