"""API tokens: only a hash is stored; the token itself is shown once when issued."""

import datetime
import enum

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class Role(enum.StrEnum):
    """What a caller may do."""

    SENDER = "sender"  # a sending office: submits documents and reads its own
    AGENCY = "agency"  # a receiving agency: sees and updates only its own deliveries
    AUDITOR = "auditor"  # reads everything, changes nothing
    ADMIN = "admin"


class ApiToken(SQLModel, table=True):
    """A bearer token's hash, its role and, for agencies and senders, whose it is."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    role: str = Field(max_length=20)
    agency_id: str | None = Field(default=None, max_length=100)
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    revoked_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # Refused after this moment (None: never expires).
    expires_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
