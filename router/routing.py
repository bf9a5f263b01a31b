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
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.audit_settings import get_audit_settings
from foundation.broker import Envelope, Probe
from foundation.database import (
    SessionFactory,
    insert_rows,
    postgres_single_statements,
    to_json,
    transaction,
    unnest_insert,
    unnest_params,
)
from foundation.faults import ROUTER_AFTER_COMMIT, ROUTER_BEFORE_COMMIT, crash_point
from foundation.history import event_row
from foundation.models import Delivery, DeliveryEvent, DeliveryState, Document, OutboxMessage
from foundation.models.clock import utcnow
from foundation.outbox import add_delivery_messages, claim_message, delivery_message_rows
from router import recipients
from router.data_in_force import RoutingData, claim_and_read, read_for_routing
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
        # PostgreSQL: sessions whose statements commit on their own (`_route_in_two_statements`).
        self._statements = postgres_single_statements(sessions)

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
        if self._statements is not None:
            return await self._route_in_two_statements(envelope, document_id)
        loaded: tuple[dict[str, str], recipients.RoutingRules] | None = None
        for _ in range(LOAD_ATTEMPTS):
            try:
                async with transaction(self.sessions) as session:
                    # The claim and which data is in force, read in the routing transaction
                    # itself: an activation committed before this statement routes the document.
                    claimed, wanted = await claim_and_read(session, CONSUMER, envelope.message_id)
                    if not claimed:
                        outcome = "duplicate_message"
                    else:
                        routing = self._routing(wanted, loaded)
                        if routing is None:
                            raise _NotLoadedError(wanted)  # rolls the claim back
                        outcome = await self._plan(session, document_id, routing)
                    await session.flush()  # the plan is written, not yet committed
                    crash_point(ROUTER_BEFORE_COMMIT)
            except _NotLoadedError as missing:
                loaded = await self._load(missing.wanted)
                continue
            crash_point(ROUTER_AFTER_COMMIT)
            return outcome
        raise RuntimeError(f"the data in force changed {LOAD_ATTEMPTS} times while it was "
                           "being loaded to route this document")

    async def _route_in_two_statements(self, envelope: Envelope, document_id: str) -> str:
        """PostgreSQL: read (handled already? the data in force, the document), expand, then
        write the claim and the plan in one statement: two round trips, no transaction (each
        round trip cost about as much CPU as expanding a short document).

        The write claims the message (a concurrent copy waits there, then finds it claimed)
        and routes the document only where it is still unrouted (a second message for it
        waits at the row, then finds it routed); one statement commits all of it or nothing.
        An activation committed before the read routes the document, as before the claim."""
        statements = self._statements
        assert statements is not None
        loaded: tuple[dict[str, str], recipients.RoutingRules] | None = None
        for _ in range(LOAD_ATTEMPTS):
            async with statements() as session:
                handled, wanted, document = await read_for_routing(
                    session, CONSUMER, envelope.message_id, document_id
                )
            if handled:
                return "duplicate_message"
            routing = self._routing(wanted, loaded)
            if routing is None:
                loaded = await self._load(wanted)
                continue
            async with statements() as session:
                outcome = await _claim_and_plan(session, envelope.message_id, document, routing)
            crash_point(ROUTER_AFTER_COMMIT)
            return outcome
        raise RuntimeError(f"the data in force changed {LOAD_ATTEMPTS} times while it was "
                           "being loaded to route this document")

    def _routing(
        self,
        wanted: dict[str, str],
        loaded: tuple[dict[str, str], recipients.RoutingRules] | None,
    ) -> recipients.RoutingRules | None:
        """The routing rules of the data in force, or None when they need loading first."""
        routing = self.data.ready(wanted)
        if routing is None and loaded is not None and loaded[0] == wanted:
            routing = loaded[1]  # loaded just now (see RoutingData.of)
        return routing

    async def _load(
        self, wanted: dict[str, str]
    ) -> tuple[dict[str, str], recipients.RoutingRules]:
        """A newly activated snapshot, loaded in a short read of its own: loading must not
        hold the routing transaction (on SQLite, the write lock). The caller routes again."""
        async with self.sessions() as session:
            return wanted, (await self.data.of(session, wanted))[0]

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


# The tables a plan writes, and the columns whose value is the same in all of a plan's rows
# (`plan_rows`, `delivery_message_rows`): one parameter each rather than an array, which
# asyncpg would encode element by element.
_TABLES: tuple[tuple[type[SQLModel], frozenset[str]], ...] = (
    (Delivery, frozenset({
        "document_id", "state", "receipt", "channel", "failure", "due_at", "escalate_at",
        "confirmed_at", "backfill_of", "event_count", "created_at", "updated_at",
    })),
    (DeliveryEvent, frozenset({"kind", "value", "note", "actor", "seq"})),
    (OutboxMessage, frozenset({"queue", "created_at"})),
)


async def _claim_and_plan(
    session: AsyncSession,
    message_id: str,
    document: Row[Any] | None,
    routing: recipients.RoutingRules,
) -> str:
    """PostgreSQL, one statement: claim the message and, if the document is still unrouted,
    store its expansion, its deliveries, their first history rows and outbox rows."""
    values: dict[str, Any] = {"consumer": CONSUMER, "message_id": message_id, "at": utcnow()}
    if document is None or document.routed_at is not None:
        # Nothing to plan: the claim alone, as the routing transaction commits it.
        claimed = await claim_message(session, CONSUMER, message_id)
        if not claimed:
            return "duplicate_message"
        return "missing_document" if document is None else "already_routed"
    view = _expansion(document.text, document.sender, document.date, document.packet,
                      document.resolutions, routing)
    rules_version = str(view.get("rules_version") or "")
    note = f"planned by rules {rules_version} as of {view.get('as_of')}"
    deliveries, events = plan_rows(document.id, document.urgency, view.get("recipients", []),
                                   note)
    messages = delivery_message_rows([d["id"] for d in deliveries])
    values |= {"document_id": document.id, "expansion": to_json(view),
               "rules_version": rules_version, "routed_at": utcnow()}
    columns = [tuple(rows[0]) if rows else () for rows in (deliveries, events, messages)]
    for (model, constants), rows, names in zip(_TABLES, (deliveries, events, messages),
                                               columns, strict=True):
        if rows:
            values |= unnest_params(model, names, rows, constants)
    crash_point(ROUTER_BEFORE_COMMIT)  # planned, not stored: the statement commits it all
    statement = _plan_statement(*columns)
    row = (await (await session.connection()).execute(statement, values)).one()
    if not row.claimed:
        return "duplicate_message"  # a copy of this message was routed meanwhile
    if not row.routed:
        return "already_routed"  # another message for it was routed meanwhile
    return f"planned {len(deliveries)} deliveries"


@functools.cache
def _plan_statement(
    delivery_columns: tuple[str, ...],
    event_columns: tuple[str, ...],
    message_columns: tuple[str, ...],
) -> TextClause:
    """The statement of `_claim_and_plan` for rows with these columns (built once). Each
    part reads the one before it, so the claim comes first, and the document's update and
    the rows go in only after a claim, and only while the document is unrouted."""
    parts = [
        "claimed AS (INSERT INTO processed_message (consumer, message_id, at) "
        "VALUES (:consumer, :message_id, CAST(:at AS TIMESTAMPTZ)) "
        "ON CONFLICT DO NOTHING RETURNING 1)",
        "routed AS (UPDATE document SET expansion = CAST(:expansion AS JSON), "
        "rules_version = :rules_version, routed_at = :routed_at, routing_error = NULL "
        "WHERE id = :document_id AND routed_at IS NULL AND EXISTS (SELECT 1 FROM claimed) "
        "RETURNING 1)",
    ]
    parts += [
        f"{name} AS ({unnest_insert(model, columns, constants)} "
        "WHERE EXISTS (SELECT 1 FROM routed))"
        for name, (model, constants), columns in zip(
            ("deliveries", "events", "messages"), _TABLES,
            (delivery_columns, event_columns, message_columns), strict=True,
        )
        if columns
    ]
    return text(
        "WITH " + ", ".join(parts) + " SELECT (SELECT count(*) FROM claimed) AS claimed, "
        "(SELECT count(*) FROM routed) AS routed"
    )


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
