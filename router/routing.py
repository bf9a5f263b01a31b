"""The router consumer: expands a document's recipients and plans one delivery per agency.

Per message, in one transaction: claim the message id, expand the recipients as of the
document's date, write the deliveries with their reasons, their history rows and their outbox
rows. Then ack. A redelivered message finds its id claimed (or the document routed) and is
acked without a second plan.

On PostgreSQL a batch of messages is routed in two round trips in all: one read for all of
its documents, then one statement that claims every message and writes every plan
(`_claim_and_plan`); each message's outcome is the one it would have had alone. Anything
unusual (a document or a message twice in the batch, a malformed body) is routed alone after
the batch, and a batch that fails (a document whose expansion raises, a statement refused)
is routed again message by message, so one bad document costs only its own message.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from sqlalchemy import Row, TextClause, text, update
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.audit_settings import get_audit_settings
from foundation.broker import Envelope, Probe
from foundation.database import (
    FROM_UTF8,
    SessionFactory,
    insert_rows,
    json_bytes,
    json_rows_insert,
    json_rows_params,
    postgres_single_statements,
    transaction,
)
from foundation.faults import ROUTER_AFTER_COMMIT, ROUTER_BEFORE_COMMIT, crash_point
from foundation.history import event_rows
from foundation.models import Delivery, DeliveryEvent, DeliveryState, Document, OutboxMessage
from foundation.models.clock import utcnow
from foundation.outbox import add_delivery_messages, delivery_message_rows
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
        # PostgreSQL: sessions whose statements commit on their own (`_route_by_statements`).
        self._statements = postgres_single_statements(sessions)

    async def handle(self, batch: list[Envelope]) -> None:
        """Route the batch: on PostgreSQL in two statements for all of it (`_route_batch`),
        else each document in its own transaction."""
        if self._statements is not None and len(batch) > 1:
            await self._route_batch(batch)
            return
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
        if await _settle(envelope, document_id, outcome):
            self.on_commit()

    async def _route_batch(self, batch: list[Envelope]) -> None:
        """PostgreSQL: route the batch's messages together (`_route_by_statements`), then ack
        each. Messages that cannot go together (malformed, a message id or a document seen
        earlier in the batch) are routed alone afterwards, so that they see the batch's plans
        committed as they would have seen them one by one. If routing them together fails,
        nothing was written: every message is routed alone (`route`), which records a
        document's failure on it and rejects just its message."""
        together, alone = _together(batch)
        if together:
            try:
                outcomes = await self._route_by_statements(
                    [(envelope.message_id, document_id) for envelope, document_id in together]
                )
            except Exception:
                log.warning("batch_routing_failed", messages=len(together), exc_info=True)
                together, alone = [], batch
            else:
                settled = [await _settle(envelope, document_id, outcome)
                           for (envelope, document_id), outcome in zip(together, outcomes,
                                                                       strict=True)]
                if any(settled):
                    self.on_commit()
        for envelope in alone:
            await self.route(envelope)

    async def _route_once(self, envelope: Envelope, document_id: str) -> str:
        if self._statements is not None:
            outcome, = await self._route_by_statements([(envelope.message_id, document_id)])
            return outcome
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

    async def _route_by_statements(self, asked: list[tuple[str, str]]) -> list[str]:
        """PostgreSQL: route these (message id, document id), no message id and no document
        twice, in two statements: read (handled already? the data in force, the documents),
        expand, then write all the claims and plans in one statement; no transaction (each
        round trip cost about as much CPU as expanding a short document). The outcome of
        each, in order.

        The write claims each message (a concurrent copy waits there, then finds it claimed)
        and routes a document only where it is still unrouted (another message for it waits
        at the row, then finds it routed); one statement commits all of it or nothing. An
        activation committed before the read routes the documents, as before the claim."""
        statements = self._statements
        assert statements is not None
        loaded: tuple[dict[str, str], recipients.RoutingRules] | None = None
        for _ in range(LOAD_ATTEMPTS):
            async with statements() as session:
                wanted, found = await read_for_routing(session, CONSUMER, asked)
            routing = self._routing(wanted, loaded)
            if routing is None:
                loaded = await self._load(wanted)
                continue
            outcomes = {m: "duplicate_message" for (m, _), (handled, _) in zip(asked, found,
                                                                               strict=True)
                        if handled}
            unhandled = [(m, document) for (m, _), (handled, document) in zip(asked, found,
                                                                              strict=True)
                         if not handled]
            if unhandled:
                async with statements() as session:
                    outcomes |= await _claim_and_plan(session, unhandled, routing)
                crash_point(ROUTER_AFTER_COMMIT)
            return [outcomes[m] for m, _ in asked]
        raise RuntimeError(f"the data in force changed {LOAD_ATTEMPTS} times while it was "
                           "being loaded to route these documents")

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
    at: datetime.datetime | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The delivery rows and their first history rows of `plan_deliveries`, planned now or
    `at` (a batch of plans made at one moment passes it)."""
    if not recipients:
        return [], []
    planned = at or utcnow()
    audit = get_audit_settings()
    due = audit.policy.receipt_deadline(planned, urgency, audit.calendar)
    escalate = audit.policy.escalation_deadline(due, audit.calendar)
    new = [(delivery_id, 0, None) for delivery_id in uuid4_strings(len(recipients))]
    events = event_rows(new, "state", DeliveryState.PENDING, note, actor, planned)
    deliveries = []
    for event, recipient in zip(events, recipients, strict=True):
        reasons = recipient.get("reasons", [])
        deliveries.append({
            "id": event["delivery_id"], "document_id": document_id, "agency_id": recipient["id"],
            "agency_name": recipient.get("name") or recipient["id"],
            "state": DeliveryState.PENDING, "receipt": None, "channel": None, "failure": None,
            "reasons": reasons, "categories": categories_of(reasons),
            "due_at": due, "escalate_at": escalate, "confirmed_at": None,
            "backfill_of": backfill_of, "event_count": event["seq"], "last_hash": event["hash"],
            "created_at": planned, "updated_at": planned,
        })
    return deliveries, events


def uuid4_strings(count: int) -> list[str]:
    """`count` random (version 4) UUIDs written as `str(uuid.uuid4())` writes them, from one
    read of the system's randomness: `uuid.uuid4()` makes a system call for each (it showed
    in the router's profile, once per delivery)."""
    raw = os.urandom(16 * count)
    # version=4 sets the version and RFC 4122 variant bits, as uuid.uuid4() does.
    return [str(uuid.UUID(bytes=raw[i:i + 16], version=4)) for i in range(0, 16 * count, 16)]


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


# The tables a batch of plans writes from rows sent as JSON (`json_rows_insert`), and the
# columns whose value is the same in all of its rows (`plan_rows` at one moment,
# `delivery_message_rows`): one parameter each. The history rows are not sent: the statement
# writes them from the deliveries (`_plan_statement`).
_TABLES: tuple[tuple[type[SQLModel], frozenset[str]], ...] = (
    (Delivery, frozenset({
        "state", "receipt", "channel", "failure", "confirmed_at", "backfill_of", "event_count",
        "created_at", "updated_at",
    })),
    (OutboxMessage, frozenset({"queue"})),
)
# The outbox rows' extra field: the document whose plan each row belongs to.
_DOCUMENT_KEY = "document"
# The columns of a plan's first history rows that are the same in all of them; the others
# are the delivery's id and last hash, the note of its document's plan, the plan's moment.
_EVENT_CONSTANTS = ("kind", "value", "actor", "seq", "prev_hash")


class _Plans:
    """The plans of a batch, as `_plan_statement`'s parameters."""

    def __init__(self, at: datetime.datetime) -> None:
        self.at = at
        self.documents: dict[str, list[Any]] = {  # one entry per plan
            "plan_messages": [], "plan_documents": [], "expansions": [], "rules_versions": [],
            "notes": []}
        self.deliveries: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.event: dict[str, Any] | None = None  # a first history row, for its constants
        self.counts: dict[str, int] = {}  # deliveries planned, by message id

    def add(self, message_id: str, document: Row[Any], routing: recipients.RoutingRules) -> None:
        """Expand the document and plan its deliveries."""
        view = _expansion(document.text, document.sender, document.date, document.packet,
                          document.resolutions, routing)
        rules_version = str(view.get("rules_version") or "")
        note = f"planned by rules {rules_version} as of {view.get('as_of')}"
        deliveries, events = plan_rows(document.id, document.urgency,
                                       view.get("recipients", []), note, at=self.at)
        messages = [{**m, _DOCUMENT_KEY: document.id}
                    for m in delivery_message_rows([d["id"] for d in deliveries])]
        for values, value in zip(self.documents.values(), (
                message_id, document.id, json_bytes(view), rules_version, note), strict=True):
            values.append(value)
        self.deliveries += deliveries
        self.messages += messages
        self.event = self.event or (events[0] if events else None)
        self.counts[message_id] = len(deliveries)

    def params(self, message_ids: list[str]) -> tuple[TextClause, dict[str, Any]]:
        """The statement and its parameters, claiming these message ids (sorted, so that
        two statements claiming some of the same ids lock them in the same order)."""
        values: dict[str, Any] = {"consumer": CONSUMER, "message_ids": sorted(message_ids),
                                  "at": self.at, **self.documents}
        if self.event is not None:
            values |= {f"event_{name}": self.event[name] for name in _EVENT_CONSTANTS}
        tables = (self.deliveries, self.messages)
        columns = [tuple(k for k in rows[0] if k != _DOCUMENT_KEY) if rows else ()
                   for rows in tables]
        for (model, constants), rows, names in zip(_TABLES, tables, columns, strict=True):
            if rows:
                values |= json_rows_params(model, names, rows, constants)
        return _plan_statement(*columns), values


async def _claim_and_plan(
    session: AsyncSession,
    asked: list[tuple[str, Row[Any] | None]],
    routing: recipients.RoutingRules,
) -> dict[str, str]:
    """PostgreSQL, one statement: claim each message and, for each document still unrouted,
    store its expansion, its deliveries, their first history rows and outbox rows; the
    outcome of each message. `asked`: (message id, its document as read, or None)."""
    plans = _Plans(utcnow())
    for message_id, document in asked:
        # Nothing to plan for a missing or routed document: the claim alone, as the routing
        # transaction commits it.
        if document is not None and document.routed_at is None:
            plans.add(message_id, document, routing)
    statement, values = plans.params([m for m, _ in asked])
    crash_point(ROUTER_BEFORE_COMMIT)  # planned, not stored: the statement commits it all
    row = (await (await session.connection()).execute(statement, values)).one()
    return _outcomes(asked, plans.counts, set(row.claimed), set(row.routed))


def _outcomes(
    asked: Iterable[tuple[str, Row[Any] | None]],
    counts: dict[str, int],
    claimed: set[str],
    routed: set[str],
) -> dict[str, str]:
    """What `_claim_and_plan` did for each message, from what its statement claimed and
    routed: the outcome each would have had alone."""
    outcomes = {}
    for message_id, document in asked:
        if message_id not in claimed:
            outcomes[message_id] = "duplicate_message"  # a copy was routed meanwhile
        elif document is None:
            outcomes[message_id] = "missing_document"
        elif message_id not in counts or document.id not in routed:
            outcomes[message_id] = "already_routed"  # maybe by another message meanwhile
        else:
            outcomes[message_id] = f"planned {counts[message_id]} deliveries"
    return outcomes


@functools.cache
def _plan_statement(
    delivery_columns: tuple[str, ...], message_columns: tuple[str, ...]
) -> TextClause:
    """The statement of `_claim_and_plan` for rows with these columns (built once). Each
    part reads the one before it, so the claims come first; a document is updated only
    after its message's claim, and only while it is unrouted; and a row goes in only with
    its document's update (deliveries name their document, outbox rows carry theirs in a
    field of their own). Each delivery's first history row is written from the delivery
    as stored (its id and its last hash: the row's hash, `plan_rows`) and its plan's note,
    which the update returns: `planned`, with every expansion, is then read once, where it
    is written, and not kept (PostgreSQL spilled it to a temporary file when two parts read it)."""
    parts = [
        "claimed AS (INSERT INTO processed_message (consumer, message_id, at) "
        "SELECT :consumer, m, CAST(:at AS TIMESTAMPTZ) "
        "FROM unnest(CAST(:message_ids AS VARCHAR[])) AS m "
        "ON CONFLICT DO NOTHING RETURNING message_id)",
        "planned AS (SELECT * FROM unnest(CAST(:plan_messages AS VARCHAR[]), "
        "CAST(:plan_documents AS VARCHAR[]), CAST(:expansions AS BYTEA[]), "
        "CAST(:rules_versions AS VARCHAR[]), CAST(:notes AS TEXT[])) "
        "AS p(message_id, document_id, expansion, rules_version, note))",
        "routed AS (UPDATE document SET expansion = "
        f"CAST({FROM_UTF8.format('planned.expansion')} AS JSON), "
        "rules_version = planned.rules_version, routed_at = CAST(:at AS TIMESTAMPTZ), "
        "routing_error = NULL FROM planned WHERE document.id = planned.document_id "
        "AND document.routed_at IS NULL "
        "AND planned.message_id IN (SELECT message_id FROM claimed) "
        "RETURNING document.id, planned.note)",
    ]
    if delivery_columns:
        parts += [
            f"deliveries AS ({json_rows_insert(Delivery, delivery_columns, _TABLES[0][1])} "
            "WHERE u.document_id IN (SELECT id FROM routed) "
            "RETURNING id, document_id, last_hash)",
            "events AS (INSERT INTO delivery_event "
            "(delivery_id, kind, value, note, actor, at, seq, prev_hash, hash) "
            "SELECT deliveries.id, CAST(:event_kind AS VARCHAR), "
            "CAST(:event_value AS VARCHAR), routed.note, CAST(:event_actor AS VARCHAR), "
            "CAST(:at AS TIMESTAMPTZ), CAST(:event_seq AS INTEGER), "
            "CAST(:event_prev_hash AS VARCHAR), deliveries.last_hash "
            "FROM deliveries JOIN routed ON routed.id = deliveries.document_id)",
        ]
    if message_columns:
        insert = json_rows_insert(OutboxMessage, message_columns, _TABLES[1][1],
                                  (_DOCUMENT_KEY,))
        parts.append(f'messages AS ({insert} WHERE u."{_DOCUMENT_KEY}" IN '
                     "(SELECT id FROM routed))")
    return text(
        "WITH " + ", ".join(parts) + " SELECT ARRAY(SELECT message_id FROM claimed) AS claimed, "
        "ARRAY(SELECT id FROM routed) AS routed"
    )


async def _settle(envelope: Envelope, document_id: str, outcome: str) -> bool:
    """Ack a message whose outcome is committed, or dead-letter one naming no document;
    True when acked."""
    bound = log.bind(message_id=envelope.message_id, document_id=document_id)
    if outcome == "missing_document":
        bound.error("document_not_found")
        await envelope.reject(requeue=False)
        return False
    await envelope.ack()
    bound.info("document_routed", outcome=outcome)
    return True


def _together(batch: list[Envelope]) -> tuple[list[tuple[Envelope, str]], list[Envelope]]:
    """The batch's messages that can be routed together (with their document ids: no
    message id and no document twice), and the others (malformed, or repeating a message id
    or a document: routed alone after the rest, as they would have been one by one)."""
    together: list[tuple[Envelope, str]] = []
    alone: list[Envelope] = []
    messages: set[str] = set()
    documents: set[str] = set()
    for envelope in batch:
        document_id = _document_id(envelope.body)
        if document_id is None or document_id in documents or envelope.message_id in messages:
            alone.append(envelope)
            continue
        together.append((envelope, document_id))
        messages.add(envelope.message_id)
        documents.add(document_id)
    return together, alone


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
