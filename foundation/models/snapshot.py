"""Immutable, content-addressed snapshots of the directory and the rule set (issue 13).

A row is written once and never changed: its id is the SHA-256 of its files
(rules/snapshots.py), so importing the same data twice finds the row already there. Who
imported it and when is kept with it. Which snapshot of each kind the router uses is an admin's
decision, recorded in `snapshot_activation` (append-only): the latest row of a kind is the one
in force; without any, the service routes with its files (the shipped data, or
DOCROUTE_DIRECTORY_PATH / DOCROUTE_RULES_PATH)."""

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


class SnapshotActivation(SQLModel, table=True):
    """An admin made a stored snapshot the one the router uses (rows are never changed)."""

    __tablename__ = "snapshot_activation"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)  # the snapshot's kind, for "latest of a kind"
    snapshot_id: str = Field(foreign_key="data_snapshot.id", max_length=64)
    activated_by: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=500)
    activated_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
