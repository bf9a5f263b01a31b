"""Deliveries (one per document and agency) and their append-only status history."""

import datetime
import enum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, text
from sqlmodel import AutoString, Field, SQLModel

from foundation.models.clock import utcnow


class DeliveryState(enum.StrEnum):
    """How far the service got in handing the document to the agency."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(SQLModel, table=True):
    """The document on its way to one agency; the unique pair forbids a second copy."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("document_id", "agency_id", name="uq_delivery_document_agency"),
        # Only deliveries waiting for a later attempt are in it: small, and a delivery's
        # usual updates leave it alone (they stay HOT updates, see migration 0005).
        Index("ix_delivery_retry_at", "retry_at", postgresql_where=text("retry_at IS NOT NULL"),
              sqlite_where=text("retry_at IS NOT NULL")),
        # One agency's deliveries newest deadline first (the one-agency missed report stops
        # at its page's end); serves lookups by agency_id alone too (migration 0013).
        Index("ix_delivery_agency_due", "agency_id", "due_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    # Looked up through the unique (document_id, agency_id) index: no index of its own.
    document_id: str = Field(foreign_key="document.id", max_length=36)
    # Indexed with due_at (ix_delivery_agency_due above).
    agency_id: str = Field(max_length=100)
    agency_name: str = Field(max_length=300)
    # Typed as the enum for the type checker; stored as the plain string it is (no DB enum).
    state: DeliveryState = Field(default=DeliveryState.PENDING, max_length=20, sa_type=AutoString)
    # The last QCVN 102 status code the agency reported (01..06), if any.
    receipt: str | None = Field(default=None, max_length=2)
    channel: str | None = Field(default=None, max_length=20)
    failure: str | None = Field(default=None, sa_column=Column(Text))
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    # `,cat1,cat2,`: the rule categories that made the agency a recipient (one LIKE filters).
    categories: str = Field(default="", max_length=500)
    # When the agency must have confirmed, and when to escalate (set by the deadline policy).
    due_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), index=True)
    )
    escalate_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), index=True)
    )
    confirmed_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # Rounds of attempts that ended in a transient fault (a host down, a 5xx, a timeout),
    # and when the next round is due; the retry schedule is `Settings.retry_schedule_seconds`.
    attempt_rounds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    retry_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # A recall or an update asked of this agency: "13" asked, "15" agreed, "16" refused.
    recall: str | None = Field(default=None, max_length=2)
    # How often the recovery sweep queued it again, planned but unsettled (foundation.recovery).
    redrives: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Sends that raised an unexpected error in the channel's code (the last one's reason is
    # in `failure` while it stays pending); at the delivery limit it fails with that reason.
    faults: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The replay run that added this delivery after a rule change, if any.
    backfill_of: str | None = Field(default=None, max_length=36)
    # Anchor of the hash-chained history: a deleted newest event cannot go unnoticed.
    event_count: int = Field(default=0)
    last_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class DeliveryEvent(SQLModel, table=True):
    """One change of a delivery's state or receipt; rows are only ever appended."""

    __tablename__ = "delivery_event"
    __table_args__ = (UniqueConstraint("delivery_id", "seq", name="uq_delivery_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    # Looked up through the unique (delivery_id, seq) index: no index of its own.
    delivery_id: str = Field(foreign_key="delivery.id", max_length=36)
    # "state", "receipt", "retry" (a round of attempts failed; the next is scheduled),
    # "reminder" or "escalation"
    kind: str = Field(max_length=20)
    value: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_column=Column(Text))
    actor: str | None = Field(default=None, max_length=100)
    # Position in the delivery's history, and the hash chain (see foundation.history).
    seq: int = Field(default=0)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
    at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
