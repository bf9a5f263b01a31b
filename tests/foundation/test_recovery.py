"""After a restart the in-process queue is empty; unfinished work is re-driven from the
database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from foundation.broker import DELIVERIES
from foundation.database import transaction
from foundation.models import Delivery, DeliveryState, OutboxMessage, Role
from foundation.models.clock import utcnow
from foundation.recovery import redrive_unfinished
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
