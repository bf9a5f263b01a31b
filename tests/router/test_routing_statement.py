"""The router's PostgreSQL path (claim, read and lock the document in one statement; write the
plan in one statement) stores what its general path (ORM, COPY; the one SQLite takes) stores,
and keeps its idempotency."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from audit.verify import verify_histories
from foundation.database import SessionFactory, transaction
from foundation.migrate import migrated_sessions
from foundation.models import Delivery, DeliveryEvent, Document, OutboxMessage, ProcessedMessage
from foundation.outbox import delivery_message_rows
from router import routing
from router.routing import Router
from tests.conftest import seed

# Delivery columns that differ between two plans of the same text by construction.
COLUMNS = [c.name for c in Delivery.__table__.columns]  # type: ignore[attr-defined]
OWN = {"id", "document_id", "last_hash", "due_at", "escalate_at", "created_at", "updated_at"}


class _Envelope:
    """A message as the broker hands it over; remembers how it was settled."""

    def __init__(self, document_id: str, message_id: str | None = None) -> None:
        self.message_id = message_id or str(uuid.uuid4())
        self.body = json.dumps({"document_id": document_id}).encode()
        self.settled = False
        self.outcome = ""

    async def ack(self) -> None:
        self.settled, self.outcome = True, "ack"

    async def reject(self, requeue: bool) -> None:
        self.settled, self.outcome = True, f"reject requeue={requeue}"


@pytest.fixture
async def pg_sessions(pg_url: str) -> AsyncIterator[SessionFactory]:
    async with migrated_sessions(pg_url) as migrated:
        yield migrated


async def _documents(sessions: SessionFactory, count: int, **fields: Any) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with transaction(sessions) as session:
        for document_id in ids:
            session.add(Document(id=document_id, text=seed("001"), **fields))
    return ids


async def _stored(sessions: SessionFactory, document_id: str) -> dict[str, Any]:
    async with sessions() as session:
        document = await session.get(Document, document_id)
        assert document is not None
        deliveries = (await session.exec(
            select(Delivery).where(col(Delivery.document_id) == document_id)
            .order_by(col(Delivery.agency_id))
        )).all()
        ids = [d.id for d in deliveries]
        events = (await session.exec(
            select(DeliveryEvent).where(col(DeliveryEvent.delivery_id).in_(ids))
        )).all()
        messages = (await session.exec(select(OutboxMessage))).all()
    queued = [i for m in messages for i in m.payload.get("delivery_ids", []) if i in ids]
    by_delivery = {e.delivery_id: e for e in events}
    return {
        "document": (document.expansion, document.rules_version, document.routing_error,
                     document.routed_at is not None),
        "deliveries": [
            {k: getattr(d, k) for k in COLUMNS if k not in OWN} for d in deliveries
        ],
        "events": [
            (e.kind, e.value, e.note, e.actor, e.seq, e.prev_hash)
            for e in (by_delivery[i] for i in ids)
        ],
        "hashes_as_stored": all(by_delivery[d.id].hash == d.last_hash for d in deliveries),
        "queued": sorted(queued) == sorted(ids),
        "due": {(d.due_at, d.escalate_at) for d in deliveries},
    }


async def test_one_statement_plan_stores_what_the_general_path_stores(
    pg_sessions: SessionFactory,
) -> None:
    fast, general = await _documents(pg_sessions, 2, sender="kh.ubnd-tinh", urgency="khan")
    router = Router(pg_sessions)
    await router.route(_Envelope(fast))
    general_path = Router(pg_sessions)
    general_path._statements = None  # the transaction SQLite takes, on PostgreSQL
    await general_path.route(_Envelope(general))

    one, other = await _stored(pg_sessions, fast), await _stored(pg_sessions, general)
    assert one["deliveries"], "the seed document has recipients"
    assert len(one["due"]) == 1
    for key in ("document", "deliveries", "events", "hashes_as_stored", "queued"):
        assert one[key] == other[key], key
    assert one["hashes_as_stored"] and one["queued"]
    checked, breaks = await verify_histories(pg_sessions)
    assert checked == 2 * len(one["deliveries"]) and breaks == []


async def test_one_statement_plan_routes_a_document_once(pg_sessions: SessionFactory) -> None:
    document_id, = await _documents(pg_sessions, 1)
    router = Router(pg_sessions)
    first = _Envelope(document_id)
    await router.route(first)
    again = _Envelope(document_id, first.message_id)  # the broker redelivers it
    await router.route(again)
    recovery = _Envelope(document_id)  # the recovery sweep publishes it again
    await router.route(recovery)
    assert [first.outcome, again.outcome, recovery.outcome] == ["ack"] * 3
    async with pg_sessions() as session:
        deliveries = (await session.exec(select(Delivery))).all()
        claims = (await session.exec(select(ProcessedMessage))).all()
    planned = await _stored(pg_sessions, document_id)
    assert len(deliveries) == len(planned["deliveries"]) > 0
    assert {c.message_id for c in claims} == {first.message_id, recovery.message_id}


async def test_one_statement_plan_rejects_a_missing_document(pg_sessions: SessionFactory) -> None:
    envelope = _Envelope(str(uuid.uuid4()))
    await Router(pg_sessions).route(envelope)
    assert envelope.outcome == "reject requeue=False"
    async with pg_sessions() as session:
        assert (await session.exec(select(Delivery))).all() == []


async def test_concurrent_copies_plan_once(pg_sessions: SessionFactory) -> None:
    """Two copies of one message wait at the claim; two messages for one document wait at the
    document's lock: either way one plan."""
    document_id, other_id = await _documents(pg_sessions, 2)
    copy = _Envelope(document_id)
    copies = [copy, _Envelope(document_id, copy.message_id)]
    messages = [_Envelope(other_id), _Envelope(other_id)]
    await asyncio.gather(*(Router(pg_sessions).route(e) for e in copies + messages))
    assert {e.outcome for e in copies + messages} == {"ack"}
    one = await _stored(pg_sessions, document_id)
    two = await _stored(pg_sessions, other_id)
    assert one["deliveries"] == two["deliveries"] and one["deliveries"]
    async with pg_sessions() as session:
        deliveries = (await session.exec(select(Delivery))).all()
    assert len(deliveries) == 2 * len(one["deliveries"])


def test_the_columns_sent_once_per_plan_have_one_value_in_all_its_rows() -> None:
    """`_claim_and_plan` sends these columns as one parameter: a plan's rows must agree."""
    found = [{"id": f"agency-{n}", "name": f"Agency {n}",
              "reasons": [{"category": f"c{n % 3}"}]} for n in range(5)]
    deliveries, events = routing.plan_rows("document-1", "khan", found, "note")
    messages = delivery_message_rows([d["id"] for d in deliveries] * 30)
    for (_, constants), rows in zip(routing._TABLES, (deliveries, events, messages), strict=True):
        assert len(rows) > 1
        for name in constants:
            assert len({repr(row[name]) for row in rows}) == 1, name
