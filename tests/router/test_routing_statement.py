"""The router's PostgreSQL path (read a batch's documents in one statement; claim its messages
and write its plans in one statement) stores what its general path (ORM, COPY; the one SQLite
takes, one message at a time) stores, and keeps its idempotency."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlmodel import col, select

from audit.verify import verify_histories
from docroute.snapshot_store import activate, store
from foundation.audit_settings import get_audit_settings
from foundation.broker import Envelope
from foundation.database import SessionFactory, transaction
from foundation.migrate import migrated_sessions
from foundation.models import Delivery, DeliveryEvent, Document, OutboxMessage, ProcessedMessage
from foundation.models.clock import utcnow
from foundation.outbox import delivery_message_rows
from router import routing
from router.routing import Router
from rules.defaults import DEFAULT_RULES
from rules.snapshots import Snapshot
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


def test_the_columns_sent_once_per_batch_have_one_value_in_all_its_rows() -> None:
    """`_claim_and_plan` sends these columns as one parameter for a batch of plans made at
    one moment: the rows of all its documents (other urgencies, other notes) must agree. It
    sends no history rows: it writes each from its delivery and its plan's note, which must
    be what `plan_rows` made."""
    found = [{"id": f"agency-{n}", "name": f"Agency {n}",
              "reasons": [{"category": f"c{n % 3}"}]} for n in range(5)]
    at = utcnow()
    tables: tuple[list[dict[str, Any]], ...] = ([], [], [])
    for n, urgency in enumerate(("khan", None, "hoa_toc")):
        deliveries, events = routing.plan_rows(f"document-{n}", urgency, found, f"note {n}",
                                               at=at)
        messages = delivery_message_rows([d["id"] for d in deliveries] * 30)
        for rows, new in zip(tables, (deliveries, events, messages), strict=True):
            rows += new
        for delivery, event in zip(deliveries, events, strict=True):
            assert (event["delivery_id"], event["hash"], event["note"], event["at"]) == (
                delivery["id"], delivery["last_hash"], f"note {n}", at)
    deliveries, events, messages = tables
    constants = [*routing._TABLES, (DeliveryEvent, frozenset(routing._EVENT_CONSTANTS))]
    for (_, names), rows in zip(constants, (deliveries, messages, events), strict=True):
        assert len(rows) > 3
        for name in names:
            assert len({repr(row[name]) for row in rows}) == 1, name


def test_uuid4_strings_are_version_4_uuids_as_uuid4_writes_them() -> None:
    made = routing.uuid4_strings(500)
    assert len(set(made)) == 500
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert routing.uuid4_strings(0) == []


async def _route_in_order(router: Router, *batches: list[_Envelope]) -> list[str]:
    for batch in batches:
        await router.handle(cast(list[Envelope], batch))
    return [e.outcome for batch in batches for e in batch]


def _mixed_batch(documents: list[str], earlier: list[_Envelope]) -> list[_Envelope]:
    """A batch with every case at once: new documents, a copy of a message handled already,
    a new message for a routed document, a missing document, a malformed body, a second
    message for a document of the batch and a copy of a message of the batch."""
    fresh, other, third = documents[:3]
    copy_of_handled = _Envelope("", earlier[0].message_id)
    copy_of_handled.body = earlier[0].body
    first = _Envelope(other)
    malformed = _Envelope("")
    malformed.body = b"{not json"
    return [
        _Envelope(fresh), copy_of_handled, first, _Envelope(documents[4]),
        _Envelope(str(uuid.uuid4())), malformed, _Envelope(fresh), _Envelope(third),
        _Envelope(other, first.message_id),
    ]


async def test_a_batch_in_two_statements_does_what_one_by_one_does(
    pg_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch routed together (PostgreSQL) and the same batch routed one message at a time
    in transactions (the path SQLite takes) settle every message alike and store the same
    plans; only the messages that cannot go together are routed alone."""
    fields = {"sender": "kh.ubnd-tinh", "urgency": "khan"}
    together = await _documents(pg_sessions, 5, **fields)
    alone = await _documents(pg_sessions, 5, **fields)
    calls: list[int] = []
    by_statements = Router._route_by_statements

    async def counted(self: Router, asked: list[tuple[str, str]]) -> list[str]:
        calls.append(len(asked))
        return await by_statements(self, asked)

    monkeypatch.setattr(Router, "_route_by_statements", counted)
    general = Router(pg_sessions)
    general._statements = None  # the transaction SQLite takes, on PostgreSQL
    outcomes = []
    for router, documents in ((Router(pg_sessions), together), (general, alone)):
        # Documents 3 and 4 were routed before the batch; 3 by a message the batch repeats.
        earlier = [_Envelope(documents[3]), _Envelope(documents[4])]
        batch = _mixed_batch(documents, earlier)
        outcomes.append(await _route_in_order(router, earlier, batch))
    assert calls == [2, 6, 1, 1]  # the batch's six that can go together, then two alone
    assert outcomes[0] == outcomes[1] == [
        "ack", "ack",  # the earlier messages
        "ack", "ack", "ack", "ack", "reject requeue=False", "reject requeue=False", "ack",
        "ack", "ack",
    ]
    for one, other in zip(together, alone, strict=True):
        mine, theirs = await _stored(pg_sessions, one), await _stored(pg_sessions, other)
        for key in ("document", "deliveries", "events", "hashes_as_stored", "queued"):
            assert mine[key] == theirs[key], key
        assert mine["deliveries"] and mine["queued"] and mine["hashes_as_stored"]
    async with pg_sessions() as session:
        deliveries = (await session.exec(select(Delivery))).all()
        claims = (await session.exec(select(ProcessedMessage))).all()
    assert len(deliveries) == 10 * len(mine["deliveries"])  # each document planned once
    audit = get_audit_settings()
    for delivery in deliveries:  # times sent as JSON keep their instant (and microseconds)
        due = audit.policy.receipt_deadline(delivery.created_at, "khan", audit.calendar)
        assert (delivery.due_at, delivery.escalate_at) == (
            due, audit.policy.escalation_deadline(due, audit.calendar))
    assert len(claims) == 2 * 8  # every message but the malformed one and the copies
    checked, breaks = await verify_histories(pg_sessions)
    assert checked == len(deliveries) and breaks == []


async def test_a_document_whose_expansion_fails_costs_only_its_own_message(
    pg_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch, a document whose expansion raises is recorded failed and its message given
    back; the others are planned and acked."""
    good, bad, other = await _documents(pg_sessions, 3)
    expand = routing._expansion

    def failing(body: str, sender: str | None, *rest: Any) -> dict[str, Any]:
        if sender == "broken":
            raise ValueError("cannot expand")
        return expand(body, sender, *rest)

    monkeypatch.setattr(routing, "_expansion", failing)
    async with transaction(pg_sessions) as session:
        document = await session.get(Document, bad)
        assert document is not None
        document.sender = "broken"
        session.add(document)

    async def healthy() -> bool:
        return True

    batch = [_Envelope(good), _Envelope(bad), _Envelope(other)]
    await Router(pg_sessions, healthy=healthy).handle(cast(list[Envelope], batch))
    assert [e.outcome for e in batch] == ["ack", "reject requeue=True", "ack"]
    stored = [await _stored(pg_sessions, d) for d in (good, other)]
    assert stored[0]["deliveries"] == stored[1]["deliveries"] and stored[0]["deliveries"]
    async with pg_sessions() as session:
        failed = await session.get(Document, bad)
        claims = (await session.exec(select(ProcessedMessage))).all()
    assert failed is not None and failed.routed_at is None
    assert failed.routing_error == "ValueError: cannot expand" and failed.routing_attempts == 1
    assert {c.message_id for c in claims} == {batch[0].message_id, batch[2].message_id}


async def test_concurrent_batches_plan_each_document_once(pg_sessions: SessionFactory) -> None:
    """Batches holding copies of the same messages and other messages for the same
    documents, routed at once by several routers: each document is planned once."""
    documents = await _documents(pg_sessions, 4)
    originals = [_Envelope(d) for d in documents]
    batches = [
        originals,
        [_Envelope(d, e.message_id) for d, e in reversed(list(zip(documents, originals,
                                                                  strict=True)))],
        [_Envelope(d) for d in documents[1:]],
        [_Envelope(d) for d in reversed(documents)],
    ]
    await asyncio.gather(*(Router(pg_sessions).handle(cast(list[Envelope], b))
                           for b in batches))
    assert {e.outcome for b in batches for e in b} == {"ack"}
    planned = [await _stored(pg_sessions, d) for d in documents]
    assert all(p["deliveries"] == planned[0]["deliveries"] for p in planned)
    async with pg_sessions() as session:
        deliveries = (await session.exec(select(Delivery))).all()
    assert len(deliveries) == 4 * len(planned[0]["deliveries"]) > 0


async def test_a_batch_loads_a_newly_activated_snapshot_first(
    pg_sessions: SessionFactory,
) -> None:
    """The data in force changed since the router started: a batch loads it, then routes
    every document of the batch with it (its id on each expansion)."""
    text = DEFAULT_RULES.read_text(encoding="utf-8") + "\n# a copy, in force from now on\n"
    snapshot = Snapshot("rules", {DEFAULT_RULES.name: text})
    async with transaction(pg_sessions) as session:
        await store(session, snapshot, "test", None)
        await activate(session, snapshot.id, "test", None)
    documents = await _documents(pg_sessions, 3)
    batch = [_Envelope(d) for d in documents]
    router = Router(pg_sessions)
    await router.handle(cast(list[Envelope], batch))
    assert [e.outcome for e in batch] == ["ack"] * 3
    for document_id in documents:
        stored = await _stored(pg_sessions, document_id)
        assert stored["document"][0]["snapshots"]["rules"] == snapshot.id
        assert stored["deliveries"]
