"""Accepting a document: validate, deduplicate, and write it with its outbox row at once."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from foundation.broker import DOCUMENTS
from foundation.database import SessionFactory, transaction
from foundation.errors import ClerkError
from foundation.models import Document
from foundation.outbox import add_message
from router import recipients

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


def read_checked(
    submission: Submission, routing: recipients.RoutingRules | None = None
) -> rules.Document:
    """The parsed document, or a 422 when it has no text or no recipient block."""
    if not submission.text.strip():
        raise ClerkError(422, "empty_text", "The document has no text; paste or upload it.")
    parsed = recipients.read(submission.text)
    if not parsed.kinh_gui and not parsed.noi_nhan:
        raise ClerkError(
            422,
            "no_recipients",
            "No 'Nơi nhận:' or 'Kính gửi:' block was found, so nobody can receive this "
            "document; check that the recipient block is included.",
        )
    if submission.sender and not (routing or recipients.shipped()).agency_known(submission.sender):
        raise ClerkError(
            422, "unknown_sender", f"Sender {submission.sender!r} is not in the directory."
        )
    return parsed


def new_document(
    submission: Submission,
    parsed: rules.Document,
    key: str | None,
    caller: int | None,
    clerk: Clerk | None = None,
) -> Document:
    """A Document row built from the submission and the fields the rules engine read."""
    number = submission.number or parsed.number
    date = submission.date or parsed.date
    issuer = parsed.issuer_code or parsed.issuer or submission.sender
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
    )


async def find_existing(session: AsyncSession, document: Document) -> Document | None:
    """The stored document with the same idempotency key, or issuer, number and date."""
    if document.idempotency_key:
        query = select(Document).where(Document.idempotency_key == document.idempotency_key)
        if found := (await session.exec(query)).first():
            return found
    if document.issuer_key:
        query = select(Document).where(
            Document.issuer_key == document.issuer_key,
            Document.number == document.number,
            Document.date == document.date,
        )
        return (await session.exec(query)).first()
    return None


async def submit(
    sessions: SessionFactory,
    submission: Submission,
    key: str | None,
    caller: int | None,
    routing: recipients.RoutingRules | None = None,
    clerk: Clerk | None = None,
) -> tuple[Document, bool]:
    """Store the document and its outbox row; return (document, created)."""
    document = new_document(submission, read_checked(submission, routing), key, caller, clerk)
    try:
        # The lookup and the insert share one transaction: one connection checkout and one
        # commit per submission.
        async with transaction(sessions) as session:
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
    log.info("document_accepted", document_id=document.id, number=document.number)
    return document, True
