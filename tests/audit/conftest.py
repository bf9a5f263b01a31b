"""Rows made directly for the audit tests (the `sessions` fixture is in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from foundation.database import SessionFactory, transaction
from foundation.history import append_event
from foundation.models import Delivery, DeliveryState, Document

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


async def add_document(
    sessions: SessionFactory,
    *,
    sender: str = "kh.ubnd-tinh",
    date: dt.date | None = None,
    text: str = "Nơi nhận:\n- Các sở, ban, ngành;\n",
    number: str | None = None,
    expansion: dict[str, Any] | None = None,
) -> Document:
    """A routed document stored directly."""
    document = Document(
        id=str(uuid.uuid4()),
        text=text,
        sender=sender,
        date=date or dt.date(2026, 3, 2),
        number=number,
        routed_at=NOW - dt.timedelta(days=8),
        expansion=expansion,
        rules_version="test",
    )
    async with transaction(sessions) as session:
        session.add(document)
    return document


async def add_delivery(
    sessions: SessionFactory,
    document: Document,
    agency: str,
    *,
    state: str = DeliveryState.DELIVERED,
    receipt: str | None = None,
    due_at: dt.datetime | None = None,
    escalate_at: dt.datetime | None = None,
    confirmed_at: dt.datetime | None = None,
    categories: str = ",so_ban_nganh,",
) -> Delivery:
    """A delivery stored directly, with its first history event."""
    delivery = Delivery(
        id=str(uuid.uuid4()),
        document_id=document.id,
        agency_id=agency,
        agency_name=agency,
        state=state,
        receipt=receipt,
        due_at=due_at or NOW - dt.timedelta(hours=1),
        escalate_at=escalate_at,
        confirmed_at=confirmed_at,
        categories=categories,
    )
    async with transaction(sessions) as session:
        session.add(delivery)
        append_event(session, delivery, "state", state, actor="test")
    return delivery
