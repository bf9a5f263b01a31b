"""The audit's own tables: reminders sent (at most one of each kind per delivery) and replays."""

import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class Reminder(SQLModel, table=True):
    """A reminder or an escalation for one delivery; the key forbids planning one twice.

    The row is its own outbox: planned in one transaction, sent after, marked sent after
    that. A crash in between means a resend under the same idempotency key, never a loss."""

    __tablename__ = "reminder"

    delivery_id: str = Field(foreign_key="delivery.id", primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=20)  # "reminder" | "escalation"
    target_agency: str = Field(max_length=100)
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    sent_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), index=True)
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)


class ReplayRun(SQLModel, table=True):
    """A replay of a rule or directory change over past documents, and its outcome."""

    __tablename__ = "replay_run"

    id: str = Field(primary_key=True, max_length=36)
    rules_id: str = Field(max_length=100)
    rules_version: str = Field(max_length=100)
    directory_id: str = Field(max_length=100)
    since: datetime.date
    actor: str | None = Field(default=None, max_length=100)
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    backfilled_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
