"""The guard against RabbitMQ's consumer timeout holds for every channel.

A delivery worker must settle every message it holds before RabbitMQ takes it back (30 min):
`Settings.worst_case_hold_seconds` promises that from each attempt's total deadline. Here a
target that hangs (a server answering a byte at a time, so no socket timeout ever fires) is
cut off for each channel, and the worker records a failed round with the reason and acks the
message; a channel that hangs whatever its target (a stand-in under each channel's name) is
cut off by the worker's own bound. Nothing here measures time: a guard that did not hold would
leave the batch unfinished, and the test would fail on its outcome (or hang).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import col, select

from consumers.channel import Channel, Outcome
from consumers.delivery import DeliveryWorker
from consumers.edxml_channel import EdxmlChannel
from consumers.email import EmailChannel
from consumers.inbox import InboxChannel
from consumers.webhook import WebhookChannel
from foundation.channels import set_channel
from foundation.database import SessionFactory, transaction
from foundation.migrate import migrated_sessions
from foundation.models import ChannelKind, Delivery, DeliveryEvent, DeliveryState, Document
from foundation.settings import CONSUMER_TIMEOUT_SECONDS, Settings
from rules import default_directory
from tests.audit.conftest import add_delivery, add_document
from tests.conftest import SECRET, always, fast_settings, trickling_server

AGENCY = "kh.so-noi-vu"
KINDS = ("inbox", "webhook", "email", "edxml")
# Short deadlines (one attempt cut after 2 × 0.2 s) and a worker bound derived from them as
# the service derives it.
SETTINGS = fast_settings(webhook_timeout=0.2, webhook_attempts=1, retry_schedule_seconds=[60])


@dataclass
class _Envelope:
    """A message as the broker hands it to the worker; remembers how it was settled."""

    body: bytes
    message_id: str = "m-1"
    answer: str | None = None

    @property
    def settled(self) -> bool:
        return self.answer is not None

    async def ack(self) -> None:
        self.answer = "ack"

    async def reject(self, requeue: bool) -> None:
        self.answer = "requeue" if requeue else "dead-letter"


class _Hangs:
    """A channel whose send never returns (a stand-in for any channel gone silent)."""

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        del delivery, document, target
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """A migrated SQLite database (the guard is the worker's, the same on both stacks)."""
    async with migrated_sessions(f"sqlite+aiosqlite:///{tmp_path}/guard.sqlite3") as made:
        yield made


async def _pending(sessions: SessionFactory, kind: ChannelKind, target: str | None) -> Delivery:
    document = await add_document(sessions)
    delivery = await add_delivery(sessions, document, AGENCY, state=DeliveryState.PENDING)
    async with transaction(sessions) as session:
        await set_channel(session, AGENCY, kind, target)
    return delivery


async def _handle(
    sessions: SessionFactory, channels: Mapping[str, Channel], delivery: Delivery,
    hold_seconds: float,
) -> tuple[_Envelope, Delivery, DeliveryEvent]:
    """One batch of one message through a worker; the message, the delivery and its last
    history event afterwards."""
    worker = DeliveryWorker(sessions, channels, SETTINGS.retry_schedule_seconds,
                            hold_seconds=hold_seconds)
    envelope = _Envelope(json.dumps({"delivery_ids": [delivery.id]}).encode())
    await worker.handle([envelope])
    async with sessions() as session:
        row = await session.get(Delivery, delivery.id)
        events = (await session.exec(
            select(DeliveryEvent).where(col(DeliveryEvent.delivery_id) == delivery.id)
            .order_by(col(DeliveryEvent.seq))
        )).all()
    assert row is not None
    return envelope, row, events[-1]


def _channels(sessions: SessionFactory, settings: Settings, smtp_port: int) -> dict[str, Channel]:
    """The four channels as the service builds them, with the settings' deadlines."""
    webhook = WebhookChannel(SECRET, attempts=settings.webhook_attempts,
                             backoff_seconds=settings.webhook_backoff_seconds,
                             timeout=settings.webhook_timeout,
                             allow_private=settings.allow_private_webhooks)
    return {
        "inbox": InboxChannel(),
        "webhook": webhook,
        "edxml": EdxmlChannel(sessions, always(default_directory()), webhook),
        "email": EmailChannel("127.0.0.1", smtp_port, "docroute@localhost",
                              "http://127.0.0.1:8000", SECRET,
                              attempts=settings.webhook_attempts,
                              backoff_seconds=settings.webhook_backoff_seconds,
                              timeout=settings.webhook_timeout),
    }


@pytest.mark.parametrize("kind", ["webhook", "email", "edxml"])
async def test_a_target_that_hangs_is_cut_off_by_the_attempts_deadline(
    sessions: SessionFactory, kind: str
) -> None:
    """A host that answers a byte at a time (HTTP for webhook and edXML, an SMTP greeting for
    e-mail) keeps every socket timeout from firing; the attempt's deadline ends it, well
    inside the worker's bound: the round is recorded as failed with a timeout, a later round
    is scheduled, and the message is acked."""
    greeting = b"220" if kind == "email" else b"HTTP/1.1 200 OK\r\nX-Slow: "
    async with trickling_server(greeting) as port:
        target = "office@agency.example" if kind == "email" else f"http://127.0.0.1:{port}/hook"
        delivery = await _pending(sessions, ChannelKind(kind), target)
        channels = _channels(sessions, SETTINGS, port)
        try:
            envelope, row, last = await _handle(
                sessions, channels, delivery, SETTINGS.worst_case_hold_seconds()
            )
        finally:
            await channels["webhook"].close()  # type: ignore[attr-defined]
    assert envelope.answer == "ack"
    assert (row.state, row.attempt_rounds) == (DeliveryState.PENDING, 1)
    assert row.retry_at is not None
    assert (last.kind, last.value) == ("retry", "1")
    assert last.note is not None and "TimeoutError" in last.note
    assert "worker's" not in last.note  # the channel's own deadline, not the backstop


@pytest.mark.parametrize("kind", KINDS)
async def test_a_channel_that_hangs_is_cut_off_by_the_workers_bound(
    sessions: SessionFactory, kind: str
) -> None:
    """Whatever a channel does (here it never answers, under each channel's name), the worker
    ends the send at its bound, records a failed round naming the bound, and acks."""
    target = {"inbox": None, "webhook": "http://127.0.0.1:9/hook", "edxml": "hub",
              "email": "office@agency.example"}[kind]
    delivery = await _pending(sessions, ChannelKind(kind), target)
    envelope, row, last = await _handle(sessions, {kind: _Hangs()}, delivery, hold_seconds=0.3)
    assert envelope.answer == "ack"
    assert (row.state, row.attempt_rounds) == (DeliveryState.PENDING, 1)
    assert (last.kind, last.value) == ("retry", "1")
    assert last.note is not None
    assert f"the {kind} channel did not finish within the worker's 0.3 s bound" in last.note


def test_the_services_bound_is_inside_rabbitmqs_consumer_timeout() -> None:
    """The bound the service gives its workers is the settings' worst case, which settings
    refuse past 90 % of RabbitMQ's 30 minutes; with the default settings it holds."""
    assert Settings(amqp_url="amqp://x").worst_case_hold_seconds() <= (
        0.9 * CONSUMER_TIMEOUT_SECONDS
    )
    with pytest.raises(ValueError, match="consumer timeout"):
        Settings(amqp_url="amqp://x", webhook_timeout=60.0)


class _Quick:
    """A channel that delivers at once, except to agencies it was told hang."""

    def __init__(self, hang: set[str]) -> None:
        self.hang = hang
        self.cancelled: list[str] = []
        self.hanging = asyncio.Event()  # set once a send hangs

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        del document, target
        if delivery.agency_id in self.hang:
            self.hanging.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled.append(delivery.id)
                raise
        return Outcome(True, "ok")


async def test_the_bound_cuts_off_only_the_sends_still_running(sessions: SessionFactory) -> None:
    """In one batch, the send that finished keeps its outcome and the one still running is
    cut off at the bound (one timer for the batch)."""
    document = await add_document(sessions)
    quick = await add_delivery(sessions, document, "kh.quick", state=DeliveryState.PENDING)
    slow = await add_delivery(sessions, document, AGENCY, state=DeliveryState.PENDING)
    channel = _Quick({AGENCY})
    worker = DeliveryWorker(sessions, {"inbox": channel}, (60.0,), hold_seconds=0.2)
    envelope = _Envelope(json.dumps({"delivery_ids": [quick.id, slow.id]}).encode())
    await worker.handle([envelope])
    async with sessions() as session:
        rows = {d.id: d for d in (await session.exec(select(Delivery))).all()}
    assert envelope.answer == "ack"
    assert rows[quick.id].state == DeliveryState.DELIVERED
    assert (rows[slow.id].state, rows[slow.id].attempt_rounds) == (DeliveryState.PENDING, 1)
    assert channel.cancelled == [slow.id]


async def test_a_stopping_worker_leaves_no_send_running(sessions: SessionFactory) -> None:
    """Cancelling the batch (the worker stopping) cancels its sends too."""
    document = await add_document(sessions)
    slow = await add_delivery(sessions, document, AGENCY, state=DeliveryState.PENDING)
    channel = _Quick({AGENCY})
    worker = DeliveryWorker(sessions, {"inbox": channel}, (60.0,), hold_seconds=60.0)
    envelope = _Envelope(json.dumps({"delivery_ids": [slow.id]}).encode())
    batch = asyncio.ensure_future(worker.handle([envelope]))
    await asyncio.wait_for(channel.hanging.wait(), 10)
    batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batch
    await asyncio.sleep(0)
    assert channel.cancelled == [slow.id]
    assert envelope.answer is None


async def test_a_send_not_started_by_the_bound_is_cut_off_as_well(
    sessions: SessionFactory,
) -> None:
    """With one send at a time, a delivery still waiting its turn when the bound passes is
    cut off like the one running: both wait for a later round, naming the bound."""
    document = await add_document(sessions)
    slow = await add_delivery(sessions, document, AGENCY, state=DeliveryState.PENDING)
    quick = await add_delivery(sessions, document, "kh.quick", state=DeliveryState.PENDING)
    channel = _Quick({AGENCY})
    worker = DeliveryWorker(sessions, {"inbox": channel}, (60.0,), hold_seconds=0.2, senders=1)
    envelope = _Envelope(json.dumps({"delivery_ids": [slow.id, quick.id]}).encode())
    await worker.handle([envelope])
    async with sessions() as session:
        rows = {d.id: d for d in (await session.exec(select(Delivery))).all()}
        notes = {e.delivery_id: e.note for e in (await session.exec(
            select(DeliveryEvent).where(col(DeliveryEvent.kind) == "retry"))).all()}
    assert envelope.answer == "ack"
    assert channel.cancelled == [slow.id]
    for delivery in (slow, quick):
        assert (rows[delivery.id].state, rows[delivery.id].attempt_rounds) == (
            DeliveryState.PENDING, 1)
        assert "did not finish within the worker's 0.2 s bound" in (notes[delivery.id] or "")


class _Counting:
    """A channel that takes a moment per send and counts the sends in flight."""

    def __init__(self, together: dict[str, int]) -> None:
        self.in_flight = 0
        self.most = 0
        self.sent: list[str] = []
        self.together = together  # shared between channels: "now" and "most" in flight

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        del document, target
        self.in_flight += 1
        self.together["now"] += 1
        self.most = max(self.most, self.in_flight)
        self.together["most"] = max(self.together["most"], self.together["now"])
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        self.together["now"] -= 1
        self.sent.append(delivery.id)
        return Outcome(True, "ok")


async def test_sends_in_flight_per_channel_kind_are_at_most_the_workers_senders(
    sessions: SessionFactory,
) -> None:
    """A batch sends `senders` at a time per channel kind, each kind on its own: the inbox
    kind's slow sends do not hold back the webhook kind's, and every delivery is sent once."""
    document = await add_document(sessions)
    agencies = [f"kh.agency-{n}" for n in range(10)]
    deliveries = [await add_delivery(sessions, document, a, state=DeliveryState.PENDING)
                  for a in agencies]
    async with transaction(sessions) as session:
        for agency in agencies[5:]:
            await set_channel(session, agency, ChannelKind.WEBHOOK, "https://agency.example/h")
    together = {"now": 0, "most": 0}
    inbox, webhook = _Counting(together), _Counting(together)
    worker = DeliveryWorker(sessions, {"inbox": inbox, "webhook": webhook}, (60.0,),
                            hold_seconds=60.0, senders=2)
    envelope = _Envelope(json.dumps({"delivery_ids": [d.id for d in deliveries]}).encode())
    await worker.handle([envelope])
    async with sessions() as session:
        states = {d.state for d in (await session.exec(select(Delivery))).all()}
    assert envelope.answer == "ack"
    assert states == {DeliveryState.DELIVERED}
    assert sorted(inbox.sent + webhook.sent) == sorted(d.id for d in deliveries)
    assert (inbox.most, webhook.most, together["most"]) == (2, 2, 4)
