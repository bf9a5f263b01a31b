"""Accepting a document: validate, deduplicate, and write it with its outbox row at once."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Table, bindparam, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Executable
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from docroute.checks import check_columns, check_document
from foundation.broker import DOCUMENTS
from foundation.database import (
    SessionFactory,
    engine_of,
    single_statement_sessions,
    transaction,
)
from foundation.errors import ClerkError
from foundation.models import Document, OutboxMessage
from foundation.models.clock import utcnow
from foundation.outbox import add_message
from foundation.tokens import VALID_TOKEN, bad_token, token_valid
from router import recipients
from router.routing import plan_deliveries

log = structlog.get_logger(__name__)


class Submission(BaseModel):
    """A document as submitted through the API (JSON body or upload)."""

    text: str = Field(description="The full text of the document.")
    sender: str | None = Field(default=None, description="Directory id of the sending office.")
    number: str | None = Field(default=None, description="Số, ký hiệu, if the text lacks it.")
    date: datetime.date | None = Field(default=None, description="Date, if the text lacks it.")


@dataclass(frozen=True)
class Clerk:
    """A person sending through the web interface, with their decisions on unresolved lines
    (applied by the router, `router/resolutions.py`)."""

    person_id: int
    resolutions: list[dict[str, Any]] = field(default_factory=list)


def read_checked(submission: Submission, routing: recipients.RoutingRules) -> rules.Document:
    """The parsed document, or a 422 when it has no text or no recipient block, or names a
    sender that `routing`'s directory lacks (the caller passes the data in force, so that a
    sender added by an activated snapshot is accepted and one it removed is refused)."""
    if not submission.text.strip():
        raise ClerkError(422, "empty_text", "The document has no text; paste or upload it.")
    parsed = recipients.read(submission.text)
    check_document(submission.text, parsed, submission.date)
    # A block whose every line was set aside as unread still goes to the clerk as questions:
    # refusing it as "no block" would drop text the reader kept.
    unread = parsed.kinh_gui_unread or parsed.noi_nhan_unread
    if not parsed.kinh_gui and not parsed.noi_nhan and not unread:
        raise ClerkError(
            422,
            "no_recipients",
            "No 'Nơi nhận:' or 'Kính gửi:' block was found, so nobody can receive this "
            "document; check that the recipient block is included.",
        )
    if submission.sender and not routing.agency_known(submission.sender):
        raise ClerkError(
            422, "unknown_sender", f"Sender {submission.sender!r} is not in the directory."
        )
    return parsed


@dataclass(frozen=True)
class PacketFields:
    """What an edXML packet adds to a submission (see docroute/edxml_intake.py)."""

    edxml_id: str | None
    packet: dict[str, Any]
    urgency: str | None = None  # from OtherInfo/Priority
    original: Original | None = None  # the main attachment


@dataclass(frozen=True)
class Original:
    """The file a document was submitted as: sent on as the attachment of edXML packets."""

    name: str
    content_type: str
    data: bytes


def content_hash(submission: Submission, packet: PacketFields | None = None) -> str:
    """A digest of what was submitted; line ends and surrounding blanks do not count."""
    text = "\n".join(line.rstrip() for line in submission.text.strip().splitlines())
    to = sorted(str(o.get("agency_id") or o.get("organ_id")) for o in
                (packet.packet.get("to", []) if packet else []))
    parts = [text, submission.sender or "", submission.number or "",
             submission.date.isoformat() if submission.date else "", "|".join(to)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def new_document(
    submission: Submission,
    parsed: rules.Document,
    key: str | None,
    caller: int | None,
    packet: PacketFields | None = None,
    clerk: Clerk | None = None,
) -> Document:
    """A Document row built from the submission and the fields the rules engine read."""
    number = submission.number or parsed.number
    date = submission.date or parsed.date
    # The sending agency when known: a number's code ('UBND' in 01/QĐ-UBND) does not say
    # which office issued it, and every commune issues its own 01/QĐ-UBND.
    issuer = submission.sender or parsed.issuer_code or parsed.issuer
    return Document(
        id=str(uuid.uuid4()),
        idempotency_key=key,
        submitted_by=caller,
        text=submission.text,
        number=number,
        doc_type=parsed.doc_type,
        issuer=parsed.issuer,
        issuer_code=parsed.issuer_code,
        date=date,
        urgency=parsed.urgency,
        subject=parsed.subject,
        sender=submission.sender,
        # Only a numbered, dated document can be recognised when it comes back.
        issuer_key=issuer if number and date else None,
        submitted_by_person=clerk.person_id if clerk else None,
        resolutions=clerk.resolutions or None if clerk else None,
        content_hash=content_hash(submission, packet),
        edxml_id=packet.edxml_id if packet else None,
        packet=packet.packet if packet else None,
    )


async def find_existing(session: AsyncSession, document: Document) -> Document | None:
    """The stored document with the same idempotency key, or issuer, number and date; a 409
    when it was submitted with other content (a silent duplicate would lose the change)."""
    if document.idempotency_key:
        query = select(Document).where(Document.idempotency_key == document.idempotency_key)
        if found := (await session.exec(query)).first():
            if _differs(found, document):
                raise ClerkError(
                    409, "idempotency_key_reused",
                    f"The Idempotency-Key {document.idempotency_key!r} was already used for "
                    f"document {found.id} with a different body; use a new key for a new "
                    "document, or send the same body to get the first answer again.",
                )
            return found
    if document.issuer_key:
        query = select(Document).where(
            Document.issuer_key == document.issuer_key,
            Document.number == document.number,
            Document.date == document.date,
        )
        found = (await session.exec(query)).first()
        if found is not None and _differs(found, document):
            raise ClerkError(
                409, "changed_resubmission",
                f"Document {document.number} of {document.date} was already sent (id "
                f"{found.id}) with different content. To add or remove recipients or correct "
                f"it, send it as an update of document {found.id} (not as a new submission); "
                "to withdraw it, recall it.",
            )
        return found
    return None


def own_edxml_id(document: Document, routing: recipients.RoutingRules) -> str | None:
    """The DocumentId docroute's packets give this document (notes §7.2): the sender's mã
    định danh (its directory code, else its directory id), the date and số/ký hiệu."""
    if not (document.sender and document.date and document.number):
        return None
    agency = routing.directory.get(document.sender)
    organ_id = (agency.code if agency else None) or document.sender
    return f"{organ_id},{document.date:%Y/%m/%d},{document.number}"


def _differs(found: Document, document: Document) -> bool:
    # Rows stored before content hashes existed cannot be compared: treated as the same.
    return found.content_hash is not None and found.content_hash != document.content_hash


async def submit(
    sessions: SessionFactory,
    submission: Submission,
    key: str | None,
    caller: int | None,
    routing: recipients.RoutingRules,
    packet: PacketFields | None = None,
    replaces: str | None = None,
    original: Original | None = None,
    clerk: Clerk | None = None,
    *,
    check_token: bool = False,
) -> tuple[Document, bool]:
    """Store the document and its outbox row; return (document, created). `replaces`: the id
    of the document this one replaces (BussinessDocType 3); `original`: the file submitted;
    `check_token`: the token `caller` must still be valid (neither revoked nor expired) when
    the document is stored, else a 401 and nothing stored (a caller from a cache,
    foundation.tokens.CallerCache); `routing`: the data in force, which checks the sender and
    gives the sender's code to the document's edXML id."""
    document = new_document(
        submission, read_checked(submission, routing), key, caller, packet, clerk
    )
    document.replaces = replaces
    original = original or (packet.original if packet else None)
    if original is not None:
        document.original_name = original.name[:300]
        document.original_type = original.content_type[:100]
        document.original = original.data
    if packet is not None and packet.urgency:
        document.urgency = packet.urgency
    if document.edxml_id is None:
        document.edxml_id = own_edxml_id(document, routing)
    check_columns(document)
    if check_token and caller is None:
        raise ValueError("check_token needs the caller's token id")
    if engine_of(sessions).dialect.name == "postgresql":
        stored, created = await _store_in_one_statement(sessions, document, check_token)
    else:
        stored, created = await _store_in_transaction(sessions, document, check_token)
    if created:
        log.info("document_accepted", document_id=document.id, number=document.number)
    return stored, created


async def _store_in_transaction(
    sessions: SessionFactory, document: Document, check_token: bool = False
) -> tuple[Document, bool]:
    """The document and its outbox row through the ORM, unless it is already stored (or
    `check_token` and its submitter's token is no longer valid: a 401)."""
    try:
        # The lookup and the insert share one transaction: one connection checkout and one
        # commit per submission.
        async with transaction(sessions) as session:
            await _check_submitter(session, document, check_token)
            if existing := await find_existing(session, document):
                return existing, False
            session.add(document)
            add_message(session, DOCUMENTS, {"document_id": document.id})
    except IntegrityError:
        # The same document was submitted concurrently and the other request won.
        async with sessions() as session:
            if existing := await find_existing(session, document):
                return existing, False
        raise
    return document, True


async def _check_submitter(session: AsyncSession, document: Document, check: bool) -> None:
    """401 when asked to check and the submitter's token is no longer valid."""
    if check and not await token_valid(session, cast(int, document.submitted_by)):
        raise bad_token()


async def _store_in_one_statement(
    sessions: SessionFactory, document: Document, check_token: bool = False
) -> tuple[Document, bool]:
    """On PostgreSQL: the document and its outbox row inserted by one statement that commits
    on its own, one round trip where the transaction took five (BEGIN, the lookup, two
    INSERTs, COMMIT). The same rows, the same columns: every column of both, as the ORM
    inserts them. A stored document with the same idempotency key, or issuer, number and
    date, makes the insert do nothing (waiting for a concurrent one to commit or roll back),
    and is then looked up and answered as `find_existing` answers it. With `check_token`,
    the statement inserts only while the submitter's token is valid: when it inserted
    nothing, the token is checked first (a 401), then the stored document looked up."""
    values = {**_row(document, "document_"), **_message_row(document.id)}
    statement = _INSERT_WITH_MESSAGE
    if check_token:
        statement = _INSERT_FOR_VALID_TOKEN
        values.update(token_id=document.submitted_by, now=utcnow())
    async with single_statement_sessions(engine_of(sessions))() as session:
        connection = await session.connection()
        if (await connection.execute(statement, values)).first() is not None:
            return document, True
        await _check_submitter(session, document, check_token)
        if existing := await find_existing(session, document):
            return existing, False
    raise RuntimeError(f"document {document.id} was neither inserted nor found stored")


def _insert_with_message(only_if: ColumnElement[bool] | None = None) -> Executable:
    # INSERT INTO outbox ... SELECT ... FROM (INSERT INTO document ... ON CONFLICT DO NOTHING
    # RETURNING id): the outbox row exists only when the document was inserted. Built once,
    # with a parameter per column (named by _row), so each submission only binds values.
    # `only_if`: the document's row is a SELECT of the parameters WHERE the condition holds.
    documents, outbox = _table(Document), _table(OutboxMessage)
    columns = {c.name: bindparam(f"document_{c.name}", type_=c.type) for c in documents.columns}
    if only_if is None:
        insert_document = pg_insert(documents).values(columns)
    else:
        row = select(*(value.label(name) for name, value in columns.items())).where(only_if)
        insert_document = pg_insert(documents).from_select(list(columns), row)
    new = (insert_document.on_conflict_do_nothing().returning(documents.c.id)
           .cte("new_document"))
    names = [c.name for c in outbox.columns if c is not outbox.c.id]  # the id is a serial
    message = [bindparam(f"outbox_{name}", type_=outbox.c[name].type).label(name)
               for name in names]
    return (insert(outbox).from_select(names, select(*message).select_from(new))
            .returning(outbox.c.id))


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, cast(Any, model).__table__)


def _message_row(document_id: str) -> dict[str, Any]:
    """The document's outbox row's values as `_row` gives an OutboxMessage's, without
    building one (an ORM object's construction was a visible share of a submission): the
    columns the ORM fills in, every other one None (tests/docroute/test_submission_storage.py
    compares the row with the ORM's)."""
    return {**_MESSAGE_NONES, "outbox_message_id": str(uuid.uuid4()), "outbox_queue": DOCUMENTS,
            "outbox_payload": {"document_id": document_id}, "outbox_created_at": utcnow()}


_MESSAGE_NONES = {f"outbox_{column.name}": None for column in _table(OutboxMessage).columns}


def _row(instance: SQLModel, prefix: str) -> dict[str, Any]:
    """Every column's value, None included, as the ORM's INSERT sends it."""
    table = _table(type(instance))
    return {f"{prefix}{column.name}": getattr(instance, column.name) for column in table.columns}


_INSERT_WITH_MESSAGE = _insert_with_message()
# The same, inserting only while the token `:token_id` is valid at `:now` (check_token).
_INSERT_FOR_VALID_TOKEN = _insert_with_message(VALID_TOKEN)


async def add_recipients(sessions: SessionFactory, packet: PacketFields, note: str) -> bool:
    """When a document with this packet's DocumentId is already here, add the packet's `To`
    agencies it does not have yet (planned at once if it is routed); False when it is new."""
    if not packet.edxml_id:
        return False
    async with transaction(sessions) as session:
        query = select(Document).where(Document.edxml_id == packet.edxml_id).with_for_update()
        document = (await session.exec(query)).first()
        if document is None:
            return False
        stored = dict(document.packet or {})
        known = {o.get("agency_id") for o in stored.get("to", [])}
        added = [o for o in packet.packet.get("to", []) if o.get("agency_id") not in known]
        if not added:
            return True
        stored["to"] = [*stored.get("to", []), *added]
        document.packet = stored  # a new dict: the JSON column sees the change
        session.add(document)
        if document.routed_at is not None:
            planned = [{"id": o["agency_id"], "name": o.get("name") or o["agency_id"],
                        "reasons": [{"line": None, "rule": recipients.PACKET_TO_RULE,
                                     "rules_version": None, "category": None,
                                     "text": f"named in the packet's To ({o.get('organ_id')})"}]}
                       for o in added if o.get("agency_id")]
            await _plan_new(session, document, planned, note)
    return True


async def _plan_new(session: AsyncSession, document: Document, planned: list[dict[str, Any]],
                    note: str) -> int:
    """Plan deliveries to the agencies among `planned` that do not have one yet."""
    from foundation.models import Delivery

    query = select(Delivery.agency_id).where(Delivery.document_id == document.id)
    have = set((await session.exec(query)).all())
    fresh = [p for p in planned if p["id"] not in have]
    return await plan_deliveries(session, document, fresh, note, actor="docroute")
