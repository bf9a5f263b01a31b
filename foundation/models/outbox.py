"""The transactional outbox and the record of messages already processed."""

import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class OutboxMessage(SQLModel, table=True):
    """A message written with the change that caused it; the relay publishes it later."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, max_length=36)
    queue: str = Field(max_length=50)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    sent_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), index=True)
    )
    # PostgreSQL: a relay publishing the row claims it until then (foundation/relay.py); a
    # relay that crashed mid-pass leaves it to the others once this has passed.
    claimed_until: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )


class ProcessedMessage(SQLModel, table=True):
    """A message id a consumer has committed the effect of; a redelivery finds it here."""

    __tablename__ = "processed_message"

    consumer: str = Field(primary_key=True, max_length=30)
    message_id: str = Field(primary_key=True, max_length=36)
    at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
