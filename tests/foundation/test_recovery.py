"""After a restart the in-process queue is empty; unfinished work is re-driven from the
database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from foundation.broker import DELIVERIES
from foundation.database import transaction
from foundation.errors import ClerkError
from foundation.models import Delivery, DeliveryState, Document, OutboxMessage, Role
from foundation.models.clock import utcnow
from foundation.recovery import (
    redrive_deliveries,
    redrive_unfinished,
    reroute_document,
    sweep_stale,
)
from foundation.settings import Settings
from tests.audit.conftest import add_delivery, add_document


async def test_document_accepted_before_a_restart_is_delivered_after_it(
    embedded: Settings, run_service: Any, api_client: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """A document accepted by a process that stopped before routing it is routed and delivered
    by the next process on the same database."""
    first_parts = {"relay": True, "router": False, "delivery": False}
    async with run_service(embedded, **first_parts) as first, api_client(first) as client:
        headers = await tokens(first, Role.SENDER, "kh.ban-qlda-phat-trien-tinh")
        answer = await client.post("/v1/documents", json={"text": seed_text("000")},
                                   headers=headers)
        assert answer.status_code == 202
    async with run_service(embedded) as second:
        [row] = await settled(second, answer.json()["id"])
    assert (row.agency_id, row.state) == ("kh.so-noi-vu", DeliveryState.DELIVERED)


async def test_restart_leaves_a_delivery_waiting_for_its_next_round_to_the_schedule(
    sessions: Any,
) -> None:
    """A pending delivery that waits for a later round is not re-driven at once by a restart
    (its wait is in the database); one that does not wait is."""
    document = await add_document(sessions)
    fresh = await add_delivery(sessions, document, "kh.fresh", state=DeliveryState.PENDING)
    slow = await add_delivery(sessions, document, "kh.slow", state=DeliveryState.PENDING)
    async with transaction(sessions) as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == slow.id).values(
            attempt_rounds=1, retry_at=utcnow() + dt.timedelta(hours=1)))
    assert await redrive_unfinished(sessions) == 1
    async with sessions() as session:
        rows = await session.exec(select(OutboxMessage).where(OutboxMessage.queue == DELIVERIES))
        assert [row.payload["delivery_ids"] for row in rows.all()] == [[fresh.id]]


async def _stale(sessions: Any, model: Any, row_id: str, seconds: float) -> None:
    """Make a row look older by `seconds`."""
    past = utcnow() - dt.timedelta(seconds=seconds)
    column = "created_at" if model is Document else "updated_at"
    async with transaction(sessions) as session:
        await session.exec(update(model).where(col(model.id) == row_id).values(
            **{column: past}))


async def test_sweep_requeues_stale_unrouted_documents_and_unsettled_deliveries_once(
    sessions: Any,
) -> None:
    """The sweep queues a document accepted but not routed, and a delivery planned but not
    settled, once they are older than its age; a second sweep within that age queues
    nothing; fresh work, settled deliveries and those waiting for a later round are left."""
    routed = await add_document(sessions)
    stale_delivery = await add_delivery(sessions, routed, "kh.a", state=DeliveryState.PENDING)
    fresh_delivery = await add_delivery(sessions, routed, "kh.b", state=DeliveryState.PENDING)
    done = await add_delivery(sessions, routed, "kh.c", state=DeliveryState.DELIVERED)
    unrouted = await _unrouted_document(sessions)
    await _stale(sessions, Delivery, stale_delivery.id, 600)
    await _stale(sessions, Delivery, done.id, 600)
    await _stale(sessions, Document, unrouted.id, 600)
    assert await sweep_stale(sessions, older_than=300, attempts=5) == 2
    assert await sweep_stale(sessions, older_than=300, attempts=5) == 0
    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
        payloads = sorted(str(row.payload) for row in rows)
        redriven = await session.get(Delivery, stale_delivery.id)
    assert payloads == sorted([str({"delivery_ids": [stale_delivery.id]}),
                               str({"document_id": unrouted.id})])
    assert redriven is not None and redriven.redrives == 1
    assert fresh_delivery.id not in str(payloads)


async def test_sweep_leaves_a_document_that_failed_too_often_to_the_operator(
    sessions: Any,
) -> None:
    """A document whose routing failed as often as the limit allows is not swept again;
    `reroute_document` queues it anyway and resets its count, and refuses a routed one."""
    poison = await _unrouted_document(sessions, attempts=5, error="ValueError: bad date")
    await _stale(sessions, Document, poison.id, 600)
    assert await sweep_stale(sessions, older_than=300, attempts=5) == 0
    async with transaction(sessions) as session:
        document = await reroute_document(session, poison.id)
    assert (document.routing_attempts, document.routing_error) == (0, "ValueError: bad date")
    routed = await add_document(sessions)
    async with transaction(sessions) as session:
        with pytest.raises(ClerkError, match="was routed"):
            await reroute_document(session, routed.id)


async def test_redrive_all_queues_every_pending_delivery_including_waiting_ones(
    sessions: Any,
) -> None:
    """`deliveries redrive --all` queues every pending delivery now (a waiting one loses its
    wait); naming a settled one is refused."""
    document = await add_document(sessions)
    waiting = await add_delivery(sessions, document, "kh.w", state=DeliveryState.PENDING)
    pending = await add_delivery(sessions, document, "kh.p", state=DeliveryState.PENDING)
    done = await add_delivery(sessions, document, "kh.d", state=DeliveryState.DELIVERED)
    async with transaction(sessions) as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == waiting.id).values(
            retry_at=utcnow() + dt.timedelta(hours=1)))
    async with transaction(sessions) as session:
        assert await redrive_deliveries(session, None) == 2
    async with sessions() as session:
        row = await session.get(Delivery, waiting.id)
        assert row is not None and row.retry_at is None
        messages = (await session.exec(select(OutboxMessage))).all()
        queued = [i for m in messages for i in m.payload["delivery_ids"]]
        assert sorted(queued) == sorted([waiting.id, pending.id])
    async with transaction(sessions) as session:
        with pytest.raises(ClerkError, match="Not pending"):
            await redrive_deliveries(session, [done.id])


async def _unrouted_document(
    sessions: Any, *, attempts: int = 0, error: str | None = None
) -> Document:
    document = Document(id=str(uuid.uuid4()), text="Nơi nhận:\n- Sở Nội vụ;\n",
                        routing_attempts=attempts, routing_error=error)
    async with transaction(sessions) as session:
        session.add(document)
    return document
