"""The router consumer: expands a document's recipients and plans one delivery per agency.

Per message, in one transaction: claim the message id, expand the recipients as of the
document's date, write the deliveries with their reasons, their history rows and their outbox
rows. Then ack. A redelivered message finds its id claimed (or the document routed) and is
acked without a second plan.
"""

from __future__ import annotations

import datetime
import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Row, TextClause, text, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.audit_settings import get_audit_settings
from foundation.broker import Envelope, Probe
from foundation.database import (
    SessionFactory,
    insert_rows,
    on_postgres,
    to_json,
    transaction,
    unnest_insert,
    unnest_params,
)
from foundation.faults import ROUTER_AFTER_COMMIT, ROUTER_BEFORE_COMMIT, crash_point
from foundation.history import event_row
from foundation.models import Delivery, DeliveryEvent, DeliveryState, Document, OutboxMessage
from foundation.models.clock import utcnow
from foundation.outbox import add_delivery_messages, delivery_message_rows
from router import recipients
from router.data_in_force import RoutingData, claim_and_read, claim_read_and_lock
from router.resolutions import apply_resolutions

log = structlog.get_logger(__name__)
CONSUMER = "router"
# Times the data in force may be found changed (a snapshot to load) before routing gives up.
LOAD_ATTEMPTS = 3


class _NotLoadedError(Exception):
    """The snapshots in force are not loaded yet: leave the routing transaction to load them."""

    def __init__(self, wanted: dict[str, str]) -> None:
        super().__init__(f"snapshots {wanted} not loaded yet")
        self.wanted = wanted


class Router:
    """Consumes the documents queue."""

    def __init__(
        self,
        sessions: SessionFactory,
        on_commit: Callable[[], None] | None = None,
        routing: recipients.RoutingRules | None = None,
        healthy: Probe | None = None,
        data: RoutingData | None = None,
    ) -> None:
        self.sessions = sessions
        self.on_commit = on_commit or (lambda: None)
        self.routing = routing or recipients.shipped()
        # The data in force: an admin's activated snapshots, else `routing` (the files).
        self.data = data or RoutingData(self.routing)
        # Tells a failure of the document (recorded on it) from the database being away (the
        # consumer holds the message until it is back: foundation.broker.batches).
        self.healthy = healthy

    async def handle(self, batch: list[Envelope]) -> None:
        """Route each document of the batch in its own transaction."""
        for envelope in batch:
            await self.route(envelope)

    async def route(self, envelope: Envelope) -> None:
        """Plan the deliveries of one document, commit, then ack."""
        bound = log.bind(message_id=envelope.message_id)
        document_id = _document_id(envelope.body)
        if document_id is None:
            bound.error("malformed_message", body=envelope.body[:200].decode(errors="replace"))
            await envelope.reject(requeue=False)
            return
        bound = bound.bind(document_id=document_id)
        try:
            outcome = await self._route_once(envelope, document_id)
        except Exception as error:
            if self.healthy is None or not await self.healthy():
                raise
            bound.exception("routing_failed")
            await self._record_failure(document_id, error)
            await envelope.reject(requeue=True)  # the delivery limit ends a hopeless one
            return
        if outcome == "missing_document":
            bound.error("document_not_found")
            await envelope.reject(requeue=False)
            return
        await envelope.ack()
        bound.info("document_routed", outcome=outcome)
        self.on_commit()

    async def _route_once(self, envelope: Envelope, document_id: str) -> str:
        loaded: tuple[dict[str, str], recipients.RoutingRules] | None = None
        for _ in range(LOAD_ATTEMPTS):
            try:
                async with transaction(self.sessions) as session:
                    # The claim and which data is in force, read in the routing transaction
                    # itself: an activation committed before this statement routes the document.
                    # On PostgreSQL the same statement reads and locks the document.
                    postgres = on_postgres(session)
                    document: Row[Any] | None = None
                    if postgres:
                        claimed, wanted, document = await claim_read_and_lock(
                            session, CONSUMER, envelope.message_id, document_id
                        )
                    else:
                        claimed, wanted = await claim_and_read(
                            session, CONSUMER, envelope.message_id
                        )
                    if not claimed:
                        outcome = "duplicate_message"
                    else:
                        routing = self.data.ready(wanted)
                        if routing is None and loaded is not None and loaded[0] == wanted:
                            routing = loaded[1]  # loaded just now (see RoutingData.of)
                        if routing is None:
                            raise _NotLoadedError(wanted)  # rolls the claim back
                        if postgres:
                            outcome = await _plan_in_one_statement(session, document, routing)
                        else:
                            outcome = await self._plan(session, document_id, routing)
                    await session.flush()  # the plan is written, not yet committed
                    crash_point(ROUTER_BEFORE_COMMIT)
            except _NotLoadedError as missing:
                # A newly activated snapshot, loaded in a short read of its own: loading must
                # not hold the routing transaction (on SQLite, the write lock). Route again.
                async with self.sessions() as session:
                    loaded = (missing.wanted, (await self.data.of(session, missing.wanted))[0])
                continue
            crash_point(ROUTER_AFTER_COMMIT)
            return outcome
        raise RuntimeError(f"the data in force changed {LOAD_ATTEMPTS} times while it was "
                           "being loaded to route this document")

    async def _record_failure(self, document_id: str, error: Exception) -> None:
        """Say on the document why it could not be routed (auditors and operators see it)."""
        reason = f"{type(error).__name__}: {error}"[:2000]
        async with transaction(self.sessions) as session:
            await session.exec(
                update(Document).where(col(Document.id) == document_id)
                .values(routing_error=reason,
                        routing_attempts=col(Document.routing_attempts) + 1)
            )

    async def _plan(
        self, session: AsyncSession, document_id: str, routing: recipients.RoutingRules
    ) -> str:
        # FOR UPDATE: two messages for one document (a republish and a recovery) plan once.
        document = await session.get(Document, document_id, with_for_update=True)
        if document is None:
            return "missing_document"
        if document.routed_at is not None:
            return "already_routed"
        view = _expansion(document.text, document.sender, document.date, document.packet,
                          document.resolutions, routing)
        document.expansion = view
        document.rules_version = str(view.get("rules_version") or "")
        document.routed_at = utcnow()
        document.routing_error = None
        session.add(document)
        note = f"planned by rules {document.rules_version} as of {view.get('as_of')}"
        planned = await plan_deliveries(session, document, view.get("recipients", []), note)
        return f"planned {planned} deliveries"


async def plan_deliveries(
    session: AsyncSession,
    document: Document,
    recipients: list[dict[str, Any]],
    note: str,
    *,
    actor: str = CONSUMER,
    backfill_of: str | None = None,
) -> int:
    """One delivery per recipient, with its reasons, receipt deadlines and first history row;
    outbox messages carry them to the delivery workers. The deadlines are the document's, so
    they are worked out once.

    Rows go in as plain dicts (`insert_rows`): building an ORM object per delivery and per
    history row was most of the router's CPU (bench/pipeline.py).
    """
    if not recipients:
        return 0
    deliveries, events = plan_rows(document.id, document.urgency, recipients, note,
                                   actor=actor, backfill_of=backfill_of)
    await insert_rows(session, Delivery, deliveries)
    await insert_rows(session, DeliveryEvent, events)
    add_delivery_messages(session, [d["id"] for d in deliveries])
    return len(deliveries)


def plan_rows(
    document_id: str,
    urgency: str | None,
    recipients: list[dict[str, Any]],
    note: str,
    *,
    actor: str = CONSUMER,
    backfill_of: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The delivery rows and their first history rows of `plan_deliveries`."""
    if not recipients:
        return [], []
    planned = utcnow()
    audit = get_audit_settings()
    due = audit.policy.receipt_deadline(planned, urgency, audit.calendar)
    escalate = audit.policy.escalation_deadline(due, audit.calendar)
    deliveries, events = [], []
    for recipient in recipients:
        delivery_id = str(uuid.uuid4())
        event = event_row(delivery_id, 0, None, "state", DeliveryState.PENDING, note, actor)
        reasons = recipient.get("reasons", [])
        deliveries.append({
            "id": delivery_id, "document_id": document_id, "agency_id": recipient["id"],
            "agency_name": recipient.get("name") or recipient["id"],
            "state": DeliveryState.PENDING, "receipt": None, "channel": None, "failure": None,
            "reasons": reasons, "categories": categories_of(reasons),
            "due_at": due, "escalate_at": escalate, "confirmed_at": None,
            "backfill_of": backfill_of, "event_count": event["seq"], "last_hash": event["hash"],
            "created_at": planned, "updated_at": planned,
        })
        events.append(event)
    return deliveries, events


def _expansion(
    body: str,
    sender: str | None,
    date: datetime.date | None,
    packet: dict[str, Any] | None,
    resolutions: list[dict[str, Any]] | None,
    routing: recipients.RoutingRules,
) -> dict[str, Any]:
    """The stored expansion of a document: its recipients, why, and the data used."""
    parsed = recipients.read(body)
    # Without a date line the rules engine dates the document from its text.
    expansion = routing.expand(parsed, sender, date)
    view = expansion.to_json()
    if packet and packet.get("to"):
        # An edXML packet names its receivers too: route to the union (issue 14).
        view = recipients.with_packet_to(view, packet["to"], only_to=packet.get("via") == "hub")
    view = apply_resolutions(view, resolutions or [], routing.directory)
    view["snapshots"] = routing.snapshots  # the exact data this plan was made with
    # Delivered to the bodies that exist on the day it goes out (Vietnam's date).
    view["recipients"], abolished = recipients.on_sending_day(
        view, routing.directory, recipients.sending_day()
    )
    if abolished:
        view["abolished"] = abolished
    return view


async def _plan_in_one_statement(
    session: AsyncSession, document: Row[Any] | None, routing: recipients.RoutingRules
) -> str:
    """PostgreSQL: `Router._plan` for a document read and locked with the claim, written in
    one statement (the document's expansion, the deliveries, their history rows and outbox
    rows): each round trip cost the router about as much CPU as expanding a short document."""
    if document is None:
        return "missing_document"
    if document.routed_at is not None:
        return "already_routed"
    view = _expansion(document.text, document.sender, document.date, document.packet,
                      document.resolutions, routing)
    rules_version = str(view.get("rules_version") or "")
    note = f"planned by rules {rules_version} as of {view.get('as_of')}"
    found = view.get("recipients", [])
    deliveries, events = plan_rows(document.id, document.urgency, found, note)
    messages = delivery_message_rows([d["id"] for d in deliveries])
    values: dict[str, Any] = {
        "document_id": document.id, "expansion": to_json(view),
        "rules_version": rules_version, "routed_at": utcnow(),
    }
    if deliveries:
        values |= unnest_params(Delivery, tuple(deliveries[0]), deliveries)
        values |= unnest_params(DeliveryEvent, tuple(events[0]), events)
        values |= unnest_params(OutboxMessage, tuple(messages[0]), messages)
    statement = _plan_statement(
        tuple(deliveries[0]) if deliveries else (),
        tuple(events[0]) if events else (),
        tuple(messages[0]) if messages else (),
    )
    await (await session.connection()).execute(statement, values)
    return f"planned {len(deliveries)} deliveries"


@functools.cache
def _plan_statement(
    delivery_columns: tuple[str, ...],
    event_columns: tuple[str, ...],
    message_columns: tuple[str, ...],
) -> TextClause:
    """The statement of `_plan_in_one_statement` for rows with these columns (built once)."""
    inserts = [
        f"{name} AS ({unnest_insert(model, columns)})"
        for name, model, columns in (
            ("deliveries", Delivery, delivery_columns),
            ("events", DeliveryEvent, event_columns),
            ("messages", OutboxMessage, message_columns),
        )
        if columns
    ]
    update_document = (
        "UPDATE document SET expansion = CAST(:expansion AS JSON), "
        "rules_version = :rules_version, routed_at = :routed_at, routing_error = NULL "
        "WHERE id = :document_id"
    )
    return text(("WITH " + ", ".join(inserts) + " " if inserts else "") + update_document)


def categories_of(reasons: list[dict[str, Any]]) -> str:
    """`,a,b,`: the categories of the reasons, so that a category filter is one LIKE."""
    found = sorted({str(r.get("category")) for r in reasons if r.get("category")})
    return "," + ",".join(found) + "," if found else ""


def _document_id(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
        value = payload["document_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None
