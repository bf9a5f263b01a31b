"""Reminders that are really sent: at the receipt deadline an unconfirmed delivery is notified
again through its agency's channel; after the second deadline it escalates to a supervisor.

Two steps, each its own transaction, so a restart loses nothing and sends nothing twice:
`plan` inserts one `Reminder` row per delivery and kind (the primary key refuses a second) with
a history event; `send_pending` sends the rows not yet sent and marks them sent. A crash after
sending and before marking resends under the same idempotency key, which the agency dedups.

Notices go out `CONCURRENCY` at a time, each bounded by its channel's deadline, so one slow
agency does not hold the others. A notice that fails is tried again on a backoff counted from
its planning (`BACKOFF` × 1, 3, 7, 15, 31) and given up after `MAX_ATTEMPTS` (recorded in the
delivery's history); the least-tried notices go first, so failing ones never starve new ones.

Several relaying processes may share the database: a pass (and the sending of a clerk's
one-click reminder) runs in one process at a time (`foundation.singleton`, a PostgreSQL
advisory lock named `PASS`); another process that tries meanwhile skips its turn, so no notice
is sent by two processes at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.notices import RECALL_PREFIX, Notice, NoticeError, NoticeSender
from foundation.channels import channels_of
from foundation.database import SessionFactory, engine_of, transaction
from foundation.history import append_event
from foundation.models import Delivery, DeliveryEvent, DeliveryState, Document
from foundation.models.audit import Reminder
from foundation.models.clock import utcnow
from foundation.periodic import every
from foundation.receipts import ReceiptStatus
from foundation.singleton import only_one

log = structlog.get_logger(__name__)
ACTOR = "audit"
BATCH = 500
CONCURRENCY = 16
MAX_ATTEMPTS = 6
BACKOFF = dt.timedelta(minutes=1)
PASS = "reminders"


@dataclass(frozen=True)
class ReminderRun:
    """What one pass did."""

    reminders_planned: int = 0
    escalations_planned: int = 0
    sent: int = 0
    failed: int = 0
    skipped: bool = False  # another process held the pass


def _unconfirmed() -> ColumnElement[bool]:
    return and_(
        col(Delivery.state) == DeliveryState.DELIVERED,
        col(Delivery.confirmed_at).is_(None),
        or_(col(Delivery.receipt).is_(None), col(Delivery.receipt) != ReceiptStatus.REJECTED),
    )


def _not_yet(kind: str) -> ColumnElement[bool]:
    return ~exists().where(
        col(Reminder.delivery_id) == col(Delivery.id), col(Reminder.kind) == kind
    )


async def plan(session: AsyncSession, now: dt.datetime, supervisor: str | None) -> tuple[int, int]:
    """Plan the reminders and escalations that are due at `now` (in the caller's transaction).

    Escalations go to `supervisor`, or to the document's sender when none is configured."""
    # Rows locked (PostgreSQL; SQLite has one writer anyway): an event appended here must not
    # race a receipt reported at the same moment for the same position in the history.
    due = (
        select(Delivery)
        .where(_unconfirmed(), col(Delivery.due_at) <= now, _not_yet("reminder"))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    reminders = (await session.exec(due)).all()
    for delivery in reminders:
        _plan_one(
            session,
            delivery,
            "reminder",
            delivery.agency_id,
            now,
            f"no receipt by {delivery.due_at}",
        )
    late = (
        select(Delivery, Document)
        .join(Document, col(Document.id) == col(Delivery.document_id))
        .where(_unconfirmed(), col(Delivery.escalate_at) <= now, _not_yet("escalation"))
        .limit(BATCH)
        .with_for_update(of=Delivery, skip_locked=True)
    )
    escalations = (await session.exec(late)).all()
    for delivery, document in escalations:
        target = supervisor or document.sender or delivery.agency_id
        _plan_one(
            session,
            delivery,
            "escalation",
            target,
            now,
            f"no receipt by {delivery.escalate_at}; escalated to {target}",
        )
    return len(reminders), len(escalations)


def _plan_one(
    session: AsyncSession,
    delivery: Delivery,
    kind: str,
    target: str,
    now: dt.datetime,
    note: str,
) -> None:
    session.add(Reminder(delivery_id=delivery.id, kind=kind, target_agency=target, created_at=now))
    append_event(session, delivery, kind, "planned", note=note, actor=ACTOR)


def plan_recall_notice(session: AsyncSession, delivery: Delivery) -> None:
    """Plan the notice that asks the agency to give the document back, after the recall
    request (13) was appended to its history: sent by the loop like a reminder, on the
    agency's channel, with the request's reason."""
    session.add(Reminder(delivery_id=delivery.id, kind=f"{RECALL_PREFIX}{delivery.event_count}",
                         target_agency=delivery.agency_id, created_at=utcnow()))


async def _recall_reasons(session: AsyncSession, pending: list[Any]) -> dict[tuple[str, int], str]:
    """The reason of each recall notice among `pending`: the note of its request's event."""
    wanted = {(r.delivery_id, int(r.kind.removeprefix(RECALL_PREFIX)))
              for r, _, _ in pending if r.kind.startswith(RECALL_PREFIX)}
    if not wanted:
        return {}
    query = select(DeliveryEvent).where(
        col(DeliveryEvent.delivery_id).in_({d for d, _ in wanted}),
        DeliveryEvent.kind == "recall", DeliveryEvent.value == "13")
    events = (await session.exec(query)).all()
    return {(e.delivery_id, e.seq): e.note or "" for e in events
            if (e.delivery_id, e.seq) in wanted}


def next_attempt_at(reminder: Reminder) -> dt.datetime:
    """When a notice that failed `attempts` times may be tried again (exponential backoff
    from its planning: 0, 1, 3, 7, ... × BACKOFF)."""
    created = reminder.created_at
    created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
    return created + BACKOFF * ((1 << reminder.attempts) - 1)


async def send_pending(
    sessions: SessionFactory, sender: NoticeSender, now: dt.datetime
) -> tuple[int, int] | None:
    """Send the planned notices not yet sent whose backoff has passed, concurrently;
    (sent, failed), or None when another process's pass holds the notices (it, or the next
    pass, sends them)."""
    async with only_one(engine_of(sessions), PASS) as mine:
        return await _send_pending(sessions, sender, now) if mine else None


async def _send_pending(
    sessions: SessionFactory, sender: NoticeSender, now: dt.datetime
) -> tuple[int, int]:
    async with sessions() as session:
        pending = (
            await session.exec(
                select(Reminder, Delivery, Document)
                .join(Delivery, col(Delivery.id) == col(Reminder.delivery_id))
                .join(Document, col(Document.id) == col(Delivery.document_id))
                .where(col(Reminder.sent_at).is_(None), col(Reminder.attempts) < MAX_ATTEMPTS)
                .order_by(col(Reminder.attempts), col(Reminder.created_at))
                .limit(BATCH)
            )
        ).all()
        pending = [row for row in pending if next_attempt_at(row[0]) <= now]
        channels = await channels_of(session, {r.target_agency for r, _, _ in pending})
        reasons = await _recall_reasons(session, pending)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(reminder: Reminder, delivery: Delivery, document: Document) -> str:
        position = reminder.kind.removeprefix(RECALL_PREFIX)
        reason = reasons.get((delivery.id, int(position))) if position.isdigit() else None
        notice = Notice(reminder.kind, delivery, document, reminder.target_agency, reason)
        async with slots:
            return await sender.send(notice, channels[reminder.target_agency])

    sent = await asyncio.gather(*(one(*row) for row in pending), return_exceptions=True)
    results = [(row[0], _outcome(result)) for row, result in zip(pending, sent, strict=True)]
    async with transaction(sessions) as session:
        for reminder, (note, problem) in results:
            await _settle(session, reminder, note, problem, now)
    failed = sum(1 for _, (_, problem) in results if problem)
    return len(results) - failed, failed


def _outcome(result: str | BaseException) -> tuple[str | None, str | None]:
    """(note, problem) of one send; an unexpected error is a failure of that notice only."""
    if isinstance(result, NoticeError):
        return None, str(result)
    if isinstance(result, Exception):
        return None, f"{type(result).__name__}: {result}"
    if isinstance(result, BaseException):
        raise result  # a cancellation: the pass stops, nothing is marked
    return result, None


async def _settle(
    session: AsyncSession,
    reminder: Reminder,
    note: str | None,
    problem: str | None,
    now: dt.datetime,
) -> None:
    reminder.attempts += 1
    if problem is None or reminder.attempts >= MAX_ATTEMPTS:
        # Locked: the next position of the history must not be taken twice.
        delivery = await session.get(Delivery, reminder.delivery_id, with_for_update=True)
        if problem is None:
            reminder.sent_at = now
            if delivery is not None:
                append_event(session, delivery, reminder.kind, "sent", note=note, actor=ACTOR)
        elif delivery is not None:
            append_event(session, delivery, reminder.kind, "given_up", actor=ACTOR,
                         note=f"{reminder.attempts} attempts failed; last: {problem}"[:500])
    if problem is not None:
        reminder.last_error = problem[:500]
        log.warning(
            "notice_failed", delivery_id=reminder.delivery_id, kind=reminder.kind, error=problem,
            attempts=reminder.attempts,
        )
    session.add(reminder)


async def run_once(
    sessions: SessionFactory, sender: NoticeSender, now: dt.datetime, supervisor: str | None
) -> ReminderRun:
    """Plan what is due, then send what is pending; `skipped` (nothing done) when another
    process is in its pass."""
    async with only_one(engine_of(sessions), PASS) as mine:
        if not mine:
            return ReminderRun(skipped=True)
        async with transaction(sessions) as session:
            planned = await plan(session, now, supervisor)
        sent, failed = await _send_pending(sessions, sender, now)
    if any(planned) or sent or failed:
        log.info("reminders", planned=planned, sent=sent, failed=failed)
    return ReminderRun(planned[0], planned[1], sent, failed)


async def remind_forever(
    sessions: SessionFactory, sender: NoticeSender, every_seconds: float, supervisor: str | None
) -> None:
    """Run a pass every `every_seconds` seconds until cancelled; a failed pass is logged and
    retried."""
    await every(every_seconds, lambda: run_once(sessions, sender, utcnow(), supervisor),
                "reminder_pass_failed")
