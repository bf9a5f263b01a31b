"""A submitted official document: its text, the fields read from it and its expansion."""

import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class DocumentBase(SQLModel):
    """Fields read from the document's text (any of them may be missing)."""

    number: str | None = Field(default=None, max_length=100)
    doc_type: str | None = Field(default=None, max_length=50)
    issuer: str | None = Field(default=None, max_length=300)
    issuer_code: str | None = Field(default=None, max_length=50)
    date: datetime.date | None = None
    urgency: str | None = Field(default=None, max_length=30)
    subject: str | None = Field(default=None, sa_column=Column(Text))
    sender: str | None = Field(default=None, max_length=100)


class Document(DocumentBase, table=True):
    """One document; resubmissions with the same issuer, number and date are the same row."""

    __tablename__ = "document"
    # NULLs never collide, so documents without a number or date are never merged by accident.
    __table_args__ = (
        UniqueConstraint("issuer_key", "number", "date", name="uq_document_issuer_number_date"),
        # A replay reads routed documents in submission order, a chunk at a time after the
        # last one read: without it every chunk sorted every document (migration 0016).
        Index("ix_document_created_id", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    issuer_key: str | None = Field(default=None, max_length=300)
    submitted_by: int | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    routed_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    rules_version: str | None = Field(default=None, max_length=100)
    expansion: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # The person (web interface) who sent it; `submitted_by` is the API token, if any.
    submitted_by_person: int | None = None
    # The clerk's decisions on lines the rules left unresolved, made before sending: each
    # {"line", "section", "text", "action": "agency" | "not_recipient", "agency_id"?,
    # "reason", "by", "by_name", "at"}; the router applies them (router/resolutions.py).
    resolutions: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    # SHA-256 of what was submitted (text, sender, number, date, packet recipients): the same
    # number and date, or the same Idempotency-Key, with other content is a 409, not a duplicate.
    content_hash: str | None = Field(default=None, max_length=64)
    # edXML: the packet's DocumentId (statuses point back to it), what the packet said beyond
    # the text (From, To matched to the directory, ToPlaces, attachments, BussinessDocType),
    # and the document this one replaces (BussinessDocType 3, or a replace from the API).
    edxml_id: str | None = Field(default=None, max_length=200, index=True)
    packet: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    replaces: str | None = Field(default=None, max_length=36)
    # The file as submitted (an upload, or a packet's main attachment), sent on as the
    # attachment of edXML packets; documents submitted as text have none.
    original: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    original_name: str | None = Field(default=None, max_length=300)
    original_type: str | None = Field(default=None, max_length=100)
    # Set when the sender recalled the document (status 13 or BussinessDocType 1).
    recalled_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # Why the router could not route it, and how often it tried (foundation.recovery).
    routing_error: str | None = Field(default=None, sa_column=Column(Text))
    routing_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # When the recovery sweep last queued it again.
    redriven_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
