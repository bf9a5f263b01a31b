"""edXML exchange tables: every status packet received, and the hub's inbound/outbound outbox."""

import datetime
import enum

from sqlalchemy import Column, DateTime, LargeBinary, Text, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from foundation.models.clock import utcnow


class StatusReport(SQLModel, table=True):
    """One status (01-06, 13, 15, 16) about a document, as reported; rows are only appended.

    The same reporter, document, code and timestamp twice is one report (the unique key);
    reports arriving out of order are all kept, and the history reads them by `reported_at`."""

    __tablename__ = "status_report"
    __table_args__ = (
        UniqueConstraint("document_id", "reporter", "code", "reported_at",
                         name="uq_status_report"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Looked up through the unique key, whose first column it is: no index of its own.
    document_id: str = Field(foreign_key="document.id", max_length=36)
    delivery_id: str | None = Field(default=None, max_length=36)
    # The reporting agency: its mã định danh (or directory id), and the directory id if known.
    reporter: str = Field(max_length=100)
    agency_id: str | None = Field(default=None, max_length=100)
    code: str = Field(max_length=2)
    description: str | None = Field(default=None, sa_column=Column(Text))
    # "packet" (POST /v1/edxml/status), "hub", "api" (POST .../status) or "docroute".
    source: str = Field(default="packet", max_length=20)
    reported_at: datetime.datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    received_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class HubState(enum.StrEnum):
    """Where a hub message stands (stored as its string)."""

    PENDING = "pending"  # to send (out) or to import (in)
    DONE = "done"  # sent, or imported
    FAILED = "failed"  # given up, with `error`


class HubMessage(SQLModel, table=True):
    """A packet to send to the hub or to an agency's own edXML system, or one fetched from the
    hub: the edXML exchange's own outbox.

    Outbound rows are sent once (`done_at`, the hub's id kept); those with a `target` URL are
    POSTed there (signed, retried on a schedule) instead of going to the hub. Inbound rows are
    stored before the hub is told they were received, and are unique per hub id, so a packet
    fetched twice is imported once."""

    __tablename__ = "hub_message"
    __table_args__ = (UniqueConstraint("direction", "hub_id", name="uq_hub_message_hub_id"),)

    id: str = Field(primary_key=True, max_length=36)
    direction: str = Field(max_length=3)  # "out" | "in"
    kind: str = Field(max_length=10)  # "edoc" | "status"
    hub_id: str | None = Field(default=None, max_length=200)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: HubState = Field(default=HubState.PENDING, max_length=10, index=True,
                            sa_type=AutoString)
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, sa_column=Column(Text))
    document_id: str | None = Field(default=None, max_length=36)
    # Outbound only: None for the hub, else the URL of the agency's system that takes edXML.
    target: str | None = Field(default=None, max_length=500)
    # With a `target`: the agency whose system it is, whose channel secrets sign the POST
    # (read at send time, so a rotation after queueing applies). None for the hub, and for
    # rows queued before migration 0018 (signed with the deployment's secret).
    agency_id: str | None = Field(default=None, max_length=100)
    next_attempt_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    done_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
