"""Messages that name several deliveries: each delivery settled on its own, messages acked,
requeued or dead-lettered as a whole, failures parked one by one with their reason.

The worker is driven directly with recorded envelopes and a scripted channel, on a real
database of each stack; the broker side is covered by the end-to-end and fault tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from consumers.channel import Outcome, document_part
from consumers.delivery import DeliveryWorker, delivery_ids
from consumers.delivery_rows import read_documents
from consumers.inbox import InboxChannel
from consumers.webhook import WebhookChannel
from foundation.broker import DELIVERIES, DELIVERIES_PER_MESSAGE, dead_letter_queue
from foundation.database import SessionFactory, postgres_single_statements, transaction
from foundation.history import digest, event_content
from foundation.models import (
    Delivery,
    DeliveryEvent,
    DeliveryState,
    Document,
    OutboxMessage,
    ProcessedMessage,
)
from foundation.outbox import add_delivery_messages, claim_messages
from tests.audit.conftest import add_delivery, add_document


@dataclass
class RecordedEnvelope:
    """A message as a consumer sees it; remembers how it was settled."""

    body: bytes
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    settled: list[str] = field(default_factory=list)

    async def ack(self) -> None:
        self.settled.append("ack")

    async def reject(self, requeue: bool) -> None:
        self.settled.append("requeue" if requeue else "dead-letter")


class ScriptedChannel:
    """Answers per agency: delivered, refused, a transient fault, or an unexpected exception."""

    def __init__(self, refuse: set[str] = frozenset(), crash: set[str] = frozenset(),
                 down: set[str] = frozenset()) -> None:
        self.refuse, self.crash, self.down = set(refuse), set(crash), set(down)
        self.sent: list[str] = []

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        self.sent.append(delivery.id)
        if delivery.agency_id in self.crash:
            raise RuntimeError("channel bug")
        if delivery.agency_id in self.refuse:
            return Outcome(False, f"refused by {delivery.agency_id}")
        if delivery.agency_id in self.down:
            return Outcome(False, f"{delivery.agency_id} is down", retry=True)
        return Outcome(True, "ok")


def _message(*ids: str) -> RecordedEnvelope:
    return RecordedEnvelope(json.dumps({"delivery_ids": list(ids)}).encode())


async def _pending(sessions: SessionFactory, agencies: list[str]) -> list[Delivery]:
    document = await add_document(sessions)
    return [
        await add_delivery(sessions, document, agency, state=DeliveryState.PENDING)
        for agency in agencies
    ]


async def _states(sessions: SessionFactory, deliveries: list[Delivery]) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.exec(
            select(Delivery).where(col(Delivery.id).in_([d.id for d in deliveries]))
        )
        return {row.agency_id: row.state for row in rows.all()}


async def _parked(sessions: SessionFactory) -> list[dict[str, object]]:
    async with sessions() as session:
        rows = await session.exec(
            select(OutboxMessage).where(OutboxMessage.queue == dead_letter_queue(DELIVERIES))
        )
        return [row.payload for row in rows.all()]


async def test_one_message_delivers_each_of_its_deliveries_and_parks_each_failure(
    sessions: SessionFactory,
) -> None:
    """A message of three deliveries, one refused: two delivered, one failed and parked as a
    dead letter naming it with the reason; the message itself is acked."""
    a, b, c = await _pending(sessions, ["kh.a", "kh.b", "kh.c"])
    channel = ScriptedChannel(refuse={"kh.b"})
    envelope = _message(a.id, b.id, c.id)
    await DeliveryWorker(sessions, {"inbox": channel}).handle([envelope])
    assert envelope.settled == ["ack"]
    assert await _states(sessions, [a, b, c]) == {
        "kh.a": DeliveryState.DELIVERED, "kh.b": DeliveryState.FAILED,
        "kh.c": DeliveryState.DELIVERED,
    }
    assert await _parked(sessions) == [{"delivery_id": b.id, "failure": "refused by kh.b"}]


async def test_history_rows_written_in_bulk_keep_the_hash_chain(
    sessions: SessionFactory,
) -> None:
    """Each settled delivery gets a second history row chained to its first, and its anchor
    moves to that row."""
    [a] = await _pending(sessions, ["kh.a"])
    await DeliveryWorker(sessions, {"inbox": ScriptedChannel()}).handle([_message(a.id)])
    async with sessions() as session:
        events = (await session.exec(select(DeliveryEvent).where(
            DeliveryEvent.delivery_id == a.id).order_by(col(DeliveryEvent.seq)))).all()
        anchor = await session.get(Delivery, a.id)
    assert [e.value for e in events] == ["pending", DeliveryState.DELIVERED]
    first, second = events
    assert second.prev_hash == first.hash
    assert second.hash == digest(2, event_content(second), first.hash)
    assert anchor is not None and (anchor.event_count, anchor.last_hash) == (2, second.hash)


async def test_a_channel_fault_requeues_the_message_and_the_redelivery_sends_only_the_rest(
    sessions: SessionFactory,
) -> None:
    """An unexpected exception for one delivery leaves it pending and requeues the message;
    when it comes back, the deliveries already settled are not sent again."""
    a, b = await _pending(sessions, ["kh.a", "kh.b"])
    channel = ScriptedChannel(crash={"kh.b"})
    worker = DeliveryWorker(sessions, {"inbox": channel})
    first = _message(a.id, b.id)
    await worker.handle([first])
    assert first.settled == ["requeue"]
    assert await _states(sessions, [a, b]) == {
        "kh.a": DeliveryState.DELIVERED, "kh.b": DeliveryState.PENDING,
    }
    channel.crash.clear()
    again = RecordedEnvelope(first.body, first.message_id)
    await worker.handle([again])
    assert again.settled == ["ack"]
    assert channel.sent == [a.id, b.id, b.id]
    assert set((await _states(sessions, [a, b])).values()) == {DeliveryState.DELIVERED}


async def test_a_message_naming_an_unknown_delivery_is_dead_lettered_after_the_known_ones(
    sessions: SessionFactory,
) -> None:
    """Known deliveries of the message are delivered; the message, which also names an id
    with no delivery, goes to the dead-letter queue whole for an operator to look at."""
    [a] = await _pending(sessions, ["kh.a"])
    envelope = _message(a.id, "no-such-delivery")
    await DeliveryWorker(sessions, {"inbox": ScriptedChannel()}).handle([envelope])
    assert envelope.settled == ["dead-letter"]
    assert await _states(sessions, [a]) == {"kh.a": DeliveryState.DELIVERED}


async def test_a_message_that_names_no_delivery_is_dead_lettered_and_the_batch_goes_on(
    sessions: SessionFactory,
) -> None:
    """An unreadable body is parked; the readable message beside it is still delivered."""
    [a] = await _pending(sessions, ["kh.a"])
    unreadable, good = RecordedEnvelope(b"not json"), _message(a.id)
    worker = DeliveryWorker(sessions, {"inbox": ScriptedChannel()})
    await worker.handle([unreadable])  # a batch with nothing to look up
    await worker.handle([RecordedEnvelope(b'{"delivery_ids": []}'), good])
    assert unreadable.settled == ["dead-letter"]
    assert good.settled == ["ack"]
    assert await _states(sessions, [a]) == {"kh.a": DeliveryState.DELIVERED}


async def test_the_same_delivery_named_twice_in_a_batch_is_sent_once(
    sessions: SessionFactory,
) -> None:
    """A redriven copy arriving beside the original: one send, both messages acked."""
    [a] = await _pending(sessions, ["kh.a"])
    channel = ScriptedChannel()
    first, copy = _message(a.id), RecordedEnvelope(json.dumps({"delivery_id": a.id}).encode())
    await DeliveryWorker(sessions, {"inbox": channel}).handle([first, copy])
    assert channel.sent == [a.id]
    assert (first.settled, copy.settled) == (["ack"], ["ack"])


def test_message_bodies_name_deliveries_in_groups_or_singly() -> None:
    """Both shapes are read; a body that names no delivery is refused (None)."""
    assert delivery_ids(b'{"delivery_ids": ["x", "y"]}') == ["x", "y"]
    assert delivery_ids(b'{"delivery_id": "x"}') == ["x"]
    for bad in (b"", b"[]", b'{"delivery_ids": []}', b'{"delivery_ids": [1]}', b"\xff",
                b'{"document_id": "d"}'):
        assert delivery_ids(bad) is None, bad


async def test_deliveries_are_queued_in_messages_of_at_most_the_group_size(
    sessions: SessionFactory,
) -> None:
    """120 ids make three messages (50, 50, 20) that name every id exactly once."""
    ids = [str(uuid.uuid4()) for _ in range(2 * DELIVERIES_PER_MESSAGE + 20)]
    async with transaction(sessions) as session:
        assert add_delivery_messages(session, ids) == 3
    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage).where(
            OutboxMessage.queue == DELIVERIES).order_by(col(OutboxMessage.id)))).all()
    sizes = [len(row.payload["delivery_ids"]) for row in rows]
    assert sizes == [DELIVERIES_PER_MESSAGE, DELIVERIES_PER_MESSAGE, 20]
    assert [i for row in rows for i in row.payload["delivery_ids"]] == ids


async def test_a_transient_fault_waits_in_the_database_and_its_message_is_acked(
    sessions: SessionFactory,
) -> None:
    """A delivery whose round ends in a transient fault stays pending with its next round
    set by the schedule, and parks nothing; the others are delivered and the message acked.
    The same message delivered again sends nothing: the waiting delivery is not due."""
    a, b = await _pending(sessions, ["kh.a", "kh.b"])
    channel = ScriptedChannel(down={"kh.b"})
    worker = DeliveryWorker(sessions, {"inbox": channel}, retry_schedule=[600.0])
    envelope = _message(a.id, b.id)
    await worker.handle([envelope])
    assert envelope.settled == ["ack"]
    assert await _states(sessions, [a, b]) == {
        "kh.a": DeliveryState.DELIVERED, "kh.b": DeliveryState.PENDING,
    }
    assert await _parked(sessions) == []
    async with sessions() as session:
        waiting = await session.get(Delivery, b.id)
        [event] = (await session.exec(select(DeliveryEvent).where(
            DeliveryEvent.delivery_id == b.id, DeliveryEvent.seq == 2))).all()
    assert waiting is not None and waiting.attempt_rounds == 1 and waiting.retry_at is not None
    wait = waiting.retry_at.replace(tzinfo=dt.UTC) - waiting.updated_at.replace(tzinfo=dt.UTC)
    assert wait == dt.timedelta(seconds=600)
    assert (event.kind, event.value) == ("retry", "1")
    assert event.note is not None and event.note.startswith("kh.b is down; next round at ")

    again = RecordedEnvelope(envelope.body, envelope.message_id)
    await worker.handle([again])
    assert again.settled == ["ack"]
    assert channel.sent == [a.id, b.id]


def test_the_signing_check_is_asked_once_per_channel_object() -> None:
    """A signing channel is used as one, a plain one is not, and another object under the
    same kind is checked afresh (the answer is kept per object, not per kind)."""
    signing = WebhookChannel("secret")
    plain = ScriptedChannel()
    worker = DeliveryWorker(None, {"webhook": signing, "inbox": plain})  # type: ignore[arg-type]
    assert worker._signer(signing) is signing
    assert worker._signer(signing) is signing
    assert worker._signer(plain) is None
    assert worker._signer(plain) is None
    assert worker._signer(InboxChannel()) is None
    assert worker._signer(WebhookChannel("other")) is not signing


async def test_claiming_message_ids_records_each_once_and_keeps_earlier_claims(
    sessions: SessionFactory,
) -> None:
    """A batch's ids are recorded once each (repeats in the batch too); a later batch that
    names some again adds only the new ones and leaves the earlier rows as they were."""
    async with transaction(sessions) as session:
        await claim_messages(session, "delivery", ["m-2", "m-1", "m-2"])
        await claim_messages(session, "router", ["m-1"])
    async with sessions() as session:
        first = {(r.consumer, r.message_id): r.at
                 for r in (await session.exec(select(ProcessedMessage))).all()}
    async with transaction(sessions) as session:
        await claim_messages(session, "delivery", ["m-3", "m-1"])
    async with sessions() as session:
        rows = {(r.consumer, r.message_id): r.at
                for r in (await session.exec(select(ProcessedMessage))).all()}
    assert set(first) == {("delivery", "m-1"), ("delivery", "m-2"), ("router", "m-1")}
    assert set(rows) == set(first) | {("delivery", "m-3")}
    assert all(rows[key] == at for key, at in first.items())


class WholeReader(ScriptedChannel):
    """A channel that reads more of the document than its heading (as the edXML one does),
    and does not say otherwise: it gets the whole row."""

    def __init__(self) -> None:
        super().__init__()
        self.expansions: list[Any] = []

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        self.expansions.append(document.expansion)
        return await super().send(delivery, document, target)


async def test_documents_are_read_whole_only_for_a_channel_that_reads_them_whole(
    sessions: SessionFactory,
) -> None:
    """The heading-only read gives the same heading and text as the whole one, and any other
    column raises instead of being read later; a batch with a channel that does not declare
    `reads_whole_document = False` gets whole documents."""
    expansion = {"lines": [{"text": "- Sở Nội vụ;"}]}
    document = await add_document(sessions, number="7/QĐ", date=dt.date(2024, 6, 3),
                                  expansion=expansion)
    async with (postgres_single_statements(sessions) or sessions)() as session:
        [light] = (await read_documents(session, {document.id}, whole=False)).values()
    async with sessions() as session:
        [whole] = (await read_documents(session, {document.id}, whole=True)).values()
    assert document_part(light) == document_part(whole)
    assert whole.expansion == expansion
    with pytest.raises(SQLAlchemyError):
        _ = light.expansion
    delivery = await add_delivery(sessions, document, "kh.so-noi-vu", state="pending")
    channel = WholeReader()
    await DeliveryWorker(sessions, {"inbox": channel}).handle([_message(delivery.id)])
    assert channel.expansions == [expansion]


async def test_single_statement_reads_leave_no_autocommit_behind(
    sessions: SessionFactory,
) -> None:
    """The worker's reads outside a transaction do not leak into the pool they share: a later
    transaction that fails still rolls back whole."""
    document = await add_document(sessions)
    async with (postgres_single_statements(sessions) or sessions)() as session:
        await read_documents(session, {document.id}, whole=False)
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await claim_messages(session, "delivery", ["m-autocommit"])
            raise RuntimeError("abort")
    async with sessions() as session:
        assert (await session.exec(select(ProcessedMessage))).all() == []


async def _claims(sessions: SessionFactory) -> set[tuple[str, str]]:
    async with sessions() as session:
        rows = (await session.exec(select(ProcessedMessage))).all()
        return {(r.consumer, r.message_id) for r in rows}


async def _chain(sessions: SessionFactory, delivery_id: str) -> list[tuple[int, str, str]]:
    """The delivery's history as (seq, value, actor), after checking every link and hash."""
    async with sessions() as session:
        events = (await session.exec(select(DeliveryEvent).where(
            col(DeliveryEvent.delivery_id) == delivery_id).order_by(col(DeliveryEvent.seq)))).all()
        anchor = await session.get(Delivery, delivery_id)
    previous = "0" * 64
    for event in events:
        assert event.prev_hash == previous
        assert event.hash == digest(event.seq, event_content(event), previous)
        previous = event.hash
    assert anchor is not None and (anchor.event_count, anchor.last_hash) == (len(events), previous)
    return [(e.seq, e.value, e.actor or "") for e in events]


async def test_a_batch_that_is_all_delivered_commits_claim_outcomes_and_history(
    sessions: SessionFactory,
) -> None:
    """The commit of a batch with nothing but deliveries (one statement on PostgreSQL)
    stores the claim, each outcome and each chained history row; the same message again
    (a redelivery after the commit) sends nothing and changes nothing."""
    a, b = await _pending(sessions, ["kh.a", "kh.b"])
    envelope = _message(a.id, b.id)
    await DeliveryWorker(sessions, {"inbox": ScriptedChannel()}).handle([envelope])
    assert envelope.settled == ["ack"]
    assert await _claims(sessions) == {("delivery", envelope.message_id)}
    assert await _states(sessions, [a, b]) == {"kh.a": "delivered", "kh.b": "delivered"}
    for row in (a, b):
        assert await _chain(sessions, row.id) == [
            (1, "pending", "test"), (2, "delivered", "delivery:inbox")]
    async with sessions() as session:
        stored = await session.get(Delivery, a.id)
    assert stored is not None and (stored.channel, stored.failure) == ("inbox", None)
    channel = ScriptedChannel()
    again = RecordedEnvelope(envelope.body, message_id=envelope.message_id)
    await DeliveryWorker(sessions, {"inbox": channel}).handle([again])
    assert (channel.sent, again.settled) == ([], ["ack"])
    assert len(await _chain(sessions, a.id)) == 2


async def test_two_copies_of_a_message_handled_at_once_settle_each_delivery_once(
    sessions: SessionFactory,
) -> None:
    """Two workers holding the same message (a redelivery racing the original) both send,
    and both commit: each delivery is settled once, with one history row, and neither
    commit fails."""
    rows = await _pending(sessions, [f"kh.a{n}" for n in range(20)])
    ids = [r.id for r in rows]
    first, copy = _message(*ids), _message(*reversed(ids))
    copy.message_id = first.message_id
    await asyncio.gather(
        DeliveryWorker(sessions, {"inbox": ScriptedChannel()}).handle([first]),
        DeliveryWorker(sessions, {"inbox": ScriptedChannel()}).handle([copy]),
    )
    assert (first.settled, copy.settled) == (["ack"], ["ack"])
    assert set((await _states(sessions, rows)).values()) == {"delivered"}
    for row in rows:
        assert [v for _, v, _ in await _chain(sessions, row.id)] == ["pending", "delivered"]
