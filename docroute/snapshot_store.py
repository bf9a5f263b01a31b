"""Stored snapshots of the directory and the rule set (table data_snapshot) and which of them
is in force (snapshot_activation): shared by the `docroute directory ...` commands and the
/v1/admin/snapshots routes."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.models import DataSnapshot, SnapshotActivation
from router.data_in_force import activations, stored
from rules.snapshots import Snapshot

__all__ = ["activate", "activations", "listing", "store", "stored"]


async def store(session: AsyncSession, snapshot: Snapshot, by: str, note: str | None) -> bool:
    """Store a (validated) snapshot once; False when its content id is already stored."""
    if await session.get(DataSnapshot, snapshot.id) is not None:
        return False
    row = DataSnapshot(
        id=snapshot.id, kind=snapshot.kind, files=snapshot.files, imported_by=by, note=note
    )
    session.add(row)
    return True


async def listing(session: AsyncSession) -> list[DataSnapshot]:
    """Every stored snapshot, newest first."""
    query = select(DataSnapshot).order_by(col(DataSnapshot.created_at).desc())
    return list((await session.exec(query)).all())


class NotStoredError(LookupError):
    """No stored snapshot has this id (or it is of another kind); the message says so."""


async def activate(
    session: AsyncSession, snapshot_id: str, by: str, note: str | None, kind: str | None = None
) -> SnapshotActivation:
    """Make a stored snapshot the one new documents are expanded with, recording who did it
    and when; `kind` (when given) must be the snapshot's."""
    query = select(col(DataSnapshot.kind)).where(col(DataSnapshot.id) == snapshot_id)
    found = (await session.exec(query)).first()
    if found is None:
        raise NotStoredError(f"no stored snapshot {snapshot_id!r}; import it first")
    if kind is not None and found != kind:
        raise NotStoredError(f"snapshot {snapshot_id} is a {found} snapshot, not a {kind} one")
    row = SnapshotActivation(kind=found, snapshot_id=snapshot_id, activated_by=by, note=note)
    session.add(row)
    await session.flush()
    return row
