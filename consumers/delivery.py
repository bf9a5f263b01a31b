"""The delivery consumer: sends each planned delivery through its agency's channel.

A message names up to 50 deliveries of one document (see `foundation.outbox`). A batch of
messages is handled in three steps: read the deliveries, send them concurrently (the side
effect, carrying the delivery id as idempotency key), then commit every outcome with its
history row, processed message id and, for a failed delivery, its dead letter, in one
transaction. Acks come last. A crash before the commit means a resend under the same key; a
crash after it means a redelivery that finds the deliveries settled and is only acked.

A round of attempts that ends in a transient fault is not final while the retry schedule
lasts: the delivery stays pending and waits in the database for its next round
(`consumers.retries`), and its message is acked with the others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from consumers.channel import Channel, Outcome, Signed, reads_whole_document
from consumers.delivery_rows import ChannelRow, DeliveryRow, read_deliveries, read_documents
from consumers.retries import schedule_round
from consumers.settlement import Settlement, settle, settle_all
from foundation.broker import Envelope
from foundation.database import (
    SessionFactory,
    insert_rows,
    postgres_single_statements,
    transaction,
)
from foundation.faults import DELIVERY_AFTER_COMMIT, DELIVERY_AFTER_SIDE_EFFECT, crash_point
from foundation.history import Chain, event_rows
from foundation.models import Delivery, DeliveryEvent, DeliveryState, Document
from foundation.models.clock import utcnow
from foundation.outbox import claim_messages, park_delivery

log = structlog.get_logger(__name__)
CONSUMER = "delivery"


@dataclass
class _Job:
    """One delivery named by a message."""

    delivery: DeliveryRow
    document: Document
    channel: ChannelRow  # the agency's channel (its kind, target and webhook secrets)
    outcome: Outcome | None = None
    fault: bool = False
    fault_note: str = ""  # the unexpected error, recorded on the delivery
    retry_in: float | None = None  # seconds to the next round, when one was scheduled
    repeat: bool = False  # named again in this batch: sent (or skipped) once, by the first

    @property
    def kind(self) -> str:
        """The channel's kind: inbox, webhook, email or edxml."""
        return self.channel.kind


@dataclass
class _Message:
    """One message of the batch and the deliveries it names."""

    envelope: Envelope
    ids: list[str] | None  # None: the body names no delivery
    jobs: list[_Job] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # ids with no delivery in the database


class DeliveryWorker:
    """Consumes the deliveries queue."""

    def __init__(
        self, sessions: SessionFactory, channels: Mapping[str, Channel],
        retry_schedule: Sequence[float] = (), hold_seconds: float | None = None,
        fault_limit: int = 5, senders: int = 16,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        # Sends in flight per channel kind and batch: at least the channels' own limit
        # (`webhook_concurrency`), which `hold_seconds` assumes, so that fewer never make a
        # batch slower than that bound.
        self.senders = max(senders, 1)
        # Unexpected errors of a delivery's channel before it fails with the last one (the
        # broker's delivery limit: the router's routing failures are counted the same way).
        self.fault_limit = fault_limit
        # The guard against RabbitMQ's consumer timeout, for every channel: each channel
        # bounds its own attempts (webhook and e-mail: a total deadline per attempt), and
        # no send of a batch outlives `hold_seconds` from the batch's start
        # (`Settings.worst_case_hold_seconds`), whatever its channel does; a send cut off
        # there waits for a later round like any transient fault.
        self.hold_seconds = hold_seconds
        # Waits before the later rounds of attempts (consumers.retries); empty: none.
        self.retry_schedule = tuple(retry_schedule)
        # Delivered, but the commit that records it failed (the database went away): the
        # batch is handled again once it is back, and the second send says it is a re-send.
        self._unrecorded: set[str] = set()
        self._signers: dict[int, tuple[Channel, Signed | None]] = {}

    @functools.cached_property
    def _single(self) -> SessionFactory | None:
        """PostgreSQL: sessions whose statements run outside a transaction, each its own, for
        the batch's reads and its one-statement commit (a transaction cost two more round
        trips, and the reads need no snapshot in common: a delivery's document was there
        before it). None on SQLite."""
        return postgres_single_statements(self.sessions)

    async def handle(self, batch: list[Envelope]) -> None:
        """Send, commit, then ack (or dead-letter the unreadable) a batch of messages."""
        messages = [_Message(envelope, delivery_ids(envelope.body)) for envelope in batch]
        jobs = await self._load(messages)
        pending = [j for j in jobs if not j.repeat and _sendable(j.delivery)]
        await self._send_all(pending)
        for job in pending:
            if job.fault and job.delivery.faults + 1 >= self.fault_limit:
                job.fault, job.outcome = False, Outcome(False, _gave_up(job))
        crash_point(DELIVERY_AFTER_SIDE_EFFECT)
        try:
            await self._commit(messages, pending)
        except Exception:
            self._unrecorded.update(j.delivery.id for j in pending if j.outcome is not None)
            raise
        self._unrecorded.difference_update(j.delivery.id for j in pending)
        crash_point(DELIVERY_AFTER_COMMIT)
        await asyncio.gather(*(self._settle(message) for message in messages))

    async def _load(self, messages: list[_Message]) -> list[_Job]:
        wanted = {i for m in messages for i in m.ids or []}
        async with (self._single or self.sessions)() as session:
            deliveries = await read_deliveries(session, wanted)
            document_ids = {d.document_id for d, _ in deliveries.values()}
            whole = any(self._reads_whole(c.kind) for _, c in deliveries.values())
            documents = await read_documents(session, document_ids, whole=whole)
        jobs: list[_Job] = []
        seen: set[str] = set()
        for message in messages:
            for delivery_id in message.ids or []:
                found = deliveries.get(delivery_id)
                if found is None:
                    message.unknown.append(delivery_id)
                    continue
                delivery, channel = found
                job = _Job(delivery, documents[delivery.document_id], channel,
                           repeat=delivery_id in seen)
                seen.add(delivery_id)
                message.jobs.append(job)
                jobs.append(job)
        return jobs

    async def _send_all(self, jobs: list[_Job]) -> None:
        """Send the jobs concurrently: per channel kind, up to `senders` tasks each take the
        next job until none is left (a task per job, and its wait, were a visible share of a
        worker's CPU). Once `hold_seconds` have passed, the sends still running, and those
        not started, are cut off, each with a transient failure (it waits for a later round
        like any transient fault): one timer for the batch rather than one per send."""
        sends = [asyncio.ensure_future(self._send_each(lane)) for lane in self._lanes(jobs)]
        if self.hold_seconds is None or not sends:
            await asyncio.gather(*sends)
            return
        try:
            _, late = await asyncio.wait(sends, timeout=self.hold_seconds)
        except asyncio.CancelledError:
            for send in sends:  # the worker is stopping: no send outlives the batch
                send.cancel()
            raise
        if not late:
            return
        for send in late:
            send.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for job in jobs:
            if job.outcome is None and not job.fault:
                job.outcome = _as_resend(self._cut_off(job), self._resend_reason(job.delivery))

    def _lanes(self, jobs: list[_Job]) -> list[Iterator[_Job]]:
        """The jobs as lanes to send along: per channel kind, as many lanes (up to
        `senders`) as jobs, all taking from one iterator, so that each kind has as many
        sends in flight as before (its channel limits them), without a task per job."""
        kinds: dict[str, list[_Job]] = {}
        for job in jobs:
            kinds.setdefault(job.kind, []).append(job)
        lanes: list[Iterator[_Job]] = []
        for group in kinds.values():
            shared = iter(group)
            lanes += [shared] * min(len(group), self.senders)
        return lanes

    async def _send_each(self, lane: Iterator[_Job]) -> None:
        """Send the lane's jobs one after another (the other lanes share the iterator)."""
        for job in lane:
            await self._send(job)

    async def _send(self, job: _Job) -> None:
        channel = self.channels.get(job.kind)
        try:
            if channel is None:
                job.outcome = Outcome(False, f"no channel {job.kind!r} in this worker")
            else:
                job.outcome = await _send_once(channel, self._signer(channel), job)
                job.outcome = _as_resend(job.outcome, self._resend_reason(job.delivery))
        except Exception as error:
            # Unexpected: recorded on the delivery, which stays pending for the broker to
            # redeliver, until the fault limit makes it fail with the reason (`handle`).
            log.exception("channel_fault", delivery_id=job.delivery.id)
            job.fault, job.fault_note = True, f"{type(error).__name__}: {error}"[:2000]

    def _cut_off(self, job: _Job) -> Outcome:
        """The transient failure of a send still running when the batch's bound passed."""
        return Outcome(False, f"the {job.kind} channel did not finish within the worker's "
                       f"{self.hold_seconds:g} s bound (RabbitMQ's consumer timeout)", retry=True)

    def _reads_whole(self, kind: str) -> bool:
        """Whether the channel of this kind reads more of a document than its heading and
        text (`reads_whole_document`); a kind with no channel here reads nothing."""
        channel = self.channels.get(kind)
        return channel is not None and reads_whole_document(channel)

    def _signer(self, channel: Channel) -> Signed | None:
        """The channel as a signing channel, or None if it does not sign: asked once per
        channel object, as a runtime protocol check walks the protocol's members every time
        (a visible share of a worker's CPU when asked per delivery). Keyed by id, held with
        the object so that the id stays its own."""
        held = self._signers.get(id(channel))
        if held is None or held[0] is not channel:
            signer = channel if isinstance(channel, Signed) else None
            held = self._signers[id(channel)] = (channel, signer)
        return held[1]

    def _resend_reason(self, delivery: DeliveryRow) -> str | None:
        """Why this send may repeat one the agency already received, if it may."""
        if delivery.id in self._unrecorded:
            return "the earlier send's outcome could not be recorded: the database was unreachable"
        if delivery.redrives:
            return (f"queued again {delivery.redrives} time(s) while planned but unsettled; "
                    "an earlier send may have reached the agency")
        return None

    async def _commit(self, messages: list[_Message], jobs: list[_Job]) -> None:
        decided = [j for j in jobs if j.outcome is not None]
        faulted = [j for j in jobs if j.fault]
        if faulted:
            await _record_faults(self.sessions, faulted)
        if not decided:
            return
        later = [j for j in decided if self._next_round(j) is not None]
        final = [j for j in decided if j not in later]
        for job in final:
            _close_rounds(job)
        now = utcnow()  # one moment for the batch's rows, not a clock read per delivery
        events = _events(final, now)
        settlements = [_settlement(j, events[j.delivery.id]) for j in final]
        handled = [m.envelope.message_id for m in messages if any(j.outcome for j in m.jobs)]
        delivered = all(s.state == DeliveryState.DELIVERED for s in settlements)
        if self._single is not None and not later and delivered:
            async with self._single() as session:  # nothing else to write: one statement
                await settle_all(session, CONSUMER, handled, settlements,
                                 list(events.values()), now)
                return
        async with transaction(self.sessions) as session:
            await claim_messages(session, CONSUMER, handled)
            settled = await settle(session, settlements, now)
            for item in settlements:
                if item.id in settled and item.state == DeliveryState.FAILED:
                    park_delivery(session, item.id, item.failure or "")
            rows = [events[s.id] for s in settlements if s.id in settled]
            rows += await self._schedule_later(session, later, now)
            await insert_rows(session, DeliveryEvent, rows)

    async def _schedule_later(
        self, session: AsyncSession, jobs: list[_Job], now: dt.datetime
    ) -> list[dict[str, Any]]:
        """Set each job's next round; return the history rows of those scheduled."""
        rows = []
        for job in jobs:
            wait = self._next_round(job)
            assert job.outcome is not None and wait is not None
            row = await schedule_round(session, job.delivery, job.outcome.note,
                                       f"{CONSUMER}:{job.kind}", wait, now)
            if row is not None:
                job.retry_in = wait
                rows.append(row)
        return rows

    def _next_round(self, job: _Job) -> float | None:
        """Seconds to wait before the job's next round, or None if its outcome is final."""
        if job.outcome is None or not job.outcome.retry:
            return None
        done = job.delivery.attempt_rounds
        return self.retry_schedule[done] if done < len(self.retry_schedule) else None

    async def _settle(self, message: _Message) -> None:
        bound = log.bind(message_id=message.envelope.message_id)
        if message.ids is None:
            body = message.envelope.body[:200].decode(errors="replace")
            bound.error("malformed_message", body=body)
            await message.envelope.reject(requeue=False)
        elif any(job.fault for job in message.jobs):
            await message.envelope.reject(requeue=True)  # the faulted ones are sent again
        elif message.unknown:
            # Kept whole in the dead-letter queue for an operator; known ones were handled.
            bound.error("delivery_not_found", delivery_ids=message.unknown)
            await message.envelope.reject(requeue=False)
        else:
            await message.envelope.ack()
        for job in message.jobs:
            _log_outcome(bound, job)


async def _send_once(channel: Channel, signer: Signed | None, job: _Job) -> Outcome:
    """One round of the channel, signed with the agency's secrets where it signs (`signer`:
    the same channel, as a signing one)."""
    if signer is not None:
        return await signer.send_to(job.delivery, job.document, job.channel)
    return await channel.send(job.delivery, job.document, job.channel.target)


async def _record_faults(sessions: SessionFactory, jobs: list[_Job]) -> None:
    """Say on each delivery why its channel failed (auditors see it), and count it."""
    async with transaction(sessions) as session:
        for job in jobs:
            note = f"the {job.kind} channel raised an unexpected error: {job.fault_note}"
            await session.exec(
                update(Delivery).where(col(Delivery.id) == job.delivery.id)
                .where(col(Delivery.state) == DeliveryState.PENDING)
                .values(failure=note, faults=col(Delivery.faults) + 1)
            )


def _gave_up(job: _Job) -> str:
    """The failure of a delivery whose channel raised once too often."""
    return (f"the {job.kind} channel raised an unexpected error {job.delivery.faults + 1} "
            f"times, the last: {job.fault_note}")


def _sendable(delivery: DeliveryRow) -> bool:
    """Pending and not waiting for a later round (consumers.retries requeues those when due)."""
    return delivery.state == DeliveryState.PENDING and delivery.retry_at is None


def _as_resend(outcome: Outcome, reason: str | None) -> Outcome:
    """The outcome of a send that may have an earlier twin the agency received unrecorded:
    the history says it may be a re-send under the same Idempotency-Key, and why."""
    if reason is None:
        return outcome
    note = f"{outcome.note}; a re-send under the same Idempotency-Key ({reason})"
    return Outcome(outcome.delivered, note, outcome.retry)


def _outcome_fields(job: _Job) -> tuple[str, str, str]:
    """The state, note and actor of the history row that records the job's final outcome."""
    assert job.outcome is not None
    state = DeliveryState.DELIVERED if job.outcome.delivered else DeliveryState.FAILED
    return state, job.outcome.note, f"{CONSUMER}:{job.kind}"


def _events(jobs: list[_Job], at: dt.datetime) -> dict[str, dict[str, Any]]:
    """The history row recording each job's final outcome at `at`, chained to its delivery
    as read, by delivery id, in the jobs' order. The rows of each distinct outcome (a batch's
    deliveries mostly share one: "webhook answered HTTP 200") are written together by
    `history.event_rows`, which formats and sorts their content once (per row, that was a
    fifth of a worker's database side)."""
    alike: dict[tuple[str, str, str], list[Chain]] = {}
    for job in jobs:
        delivery = job.delivery
        alike.setdefault(_outcome_fields(job), []).append(
            (delivery.id, delivery.event_count, delivery.last_hash))
    rows = {row["delivery_id"]: row for (state, note, actor), chains in alike.items()
            for row in event_rows(chains, "state", state, note, actor, at)}
    return {job.delivery.id: rows[job.delivery.id] for job in jobs}


def _close_rounds(job: _Job) -> None:
    """A transient fault with no round left is final: say that the schedule was spent."""
    outcome, rounds = job.outcome, job.delivery.attempt_rounds
    if outcome is not None and outcome.retry and rounds:
        note = f"{outcome.note}; gave up after {rounds + 1} rounds of attempts"
        job.outcome = Outcome(False, note)


def _settlement(job: _Job, event: dict[str, Any]) -> Settlement:
    delivered = event["value"] == DeliveryState.DELIVERED
    return Settlement(
        id=job.delivery.id, state=event["value"], channel=job.kind,
        failure=None if delivered else event["note"], prev=job.delivery.event_count,
        seq=event["seq"], hash=event["hash"],
    )


def _log_outcome(bound: structlog.stdlib.BoundLogger, job: _Job) -> None:
    if job.outcome is None:
        return
    # Most outcomes are deliveries, logged at INFO, which production filters out: then they
    # cost no event dict at all (they were a visible share of a worker's CPU).
    if job.outcome.delivered and not bound.is_enabled_for(logging.INFO):
        return
    ids = {"delivery_id": job.delivery.id, "document_id": job.delivery.document_id}
    if job.outcome.delivered:
        bound.info("delivered", **ids, channel=job.kind, note=job.outcome.note)
    elif job.retry_in is not None:
        bound.warning("delivery_round_failed", **ids, reason=job.outcome.note, channel=job.kind,
                      retry_in_seconds=job.retry_in)
    else:
        bound.warning("delivery_failed", **ids, reason=job.outcome.note, channel=job.kind)


def delivery_ids(body: bytes) -> list[str] | None:
    """The delivery ids a message names: `{"delivery_ids": [...]}`, or `{"delivery_id": ...}`
    as messages queued before deliveries travelled in groups were; None if it names none."""
    try:
        payload = json.loads(body)
        value = payload["delivery_ids"] if "delivery_ids" in payload else [payload["delivery_id"]]
    except (ValueError, KeyError, TypeError):
        return None
    if not value or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value
