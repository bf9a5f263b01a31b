"""Immutable, content-addressed snapshots of the directory and the rule set (issue 13).

A row is written once and never changed: its id is the SHA-256 of its files
(rules/snapshots.py), so importing the same data twice finds the row already there. Who
imported it and when is kept with it; the newest row of a kind is the one in force."""

import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class DataSnapshot(SQLModel, table=True):
    """One snapshot of a directory or a rule set, with who imported it."""

    __tablename__ = "data_snapshot"

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=20, index=True)  # "directory" | "rules"
    files: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    imported_by: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
