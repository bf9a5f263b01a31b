"""People who sign in to the web interface, and their sessions (machines keep API tokens)."""

import datetime

from sqlalchemy import Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class Person(SQLModel, table=True):
    """A named account: a clerk of a sending office or an agency, an auditor or an admin."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=100)
    name: str = Field(max_length=200)
    # The agency a sender or an agency clerk works for (None for auditors and admins).
    agency_id: str | None = Field(default=None, max_length=100)
    role: str = Field(max_length=20)
    # argon2id, from argon2-cffi (memory-hard); never the password itself.
    password_hash: str = Field(max_length=200)
    # Failed sign-ins in a row, and until when sign-in is refused after too many.
    failed_logins: int = Field(default=0)
    locked_until: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    disabled_at: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie's SHA-256 and the CSRF token of its forms."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime.datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class UploadedFile(SQLModel, table=True):
    """A file a clerk uploaded to send: kept from the preview to the sending, then linked to
    its document so receiving agencies can download the original."""

    __tablename__ = "uploaded_file"

    id: str = Field(primary_key=True, max_length=36)
    person_id: int = Field(foreign_key="person.id")
    document_id: str | None = Field(default=None, foreign_key="document.id", index=True,
                                    max_length=36)
    filename: str = Field(max_length=300)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class AdminAction(SQLModel, table=True):
    """What an admin did from the web interface (accounts, tokens, channels), and who did it."""

    __tablename__ = "admin_action"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    actor: str = Field(max_length=300)
    action: str = Field(max_length=50)
    detail: str = Field(max_length=1000)
    at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
