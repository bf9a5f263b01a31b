"""Stored snapshots of the directory and the rule set (table data_snapshot): shared by the
`docroute directory ...` commands and the /v1/admin/snapshots routes."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.models import DataSnapshot
from rules.snapshots import Snapshot


async def store(session: AsyncSession, snapshot: Snapshot, by: str, note: str | None) -> bool:
    """Store a (validated) snapshot once; False when its content id is already stored."""
    if await session.get(DataSnapshot, snapshot.id) is not None:
        return False
    row = DataSnapshot(
        id=snapshot.id, kind=snapshot.kind, files=snapshot.files, imported_by=by, note=note
    )
    session.add(row)
    return True


async def stored(session: AsyncSession, snapshot_id: str) -> Snapshot | None:
    """The stored snapshot with this id, or None."""
    row = await session.get(DataSnapshot, snapshot_id)
    return None if row is None else Snapshot(row.kind, dict(row.files))


async def listing(session: AsyncSession) -> list[DataSnapshot]:
    """Every stored snapshot, newest first."""
    query = select(DataSnapshot).order_by(col(DataSnapshot.created_at).desc())
    return list((await session.exec(query)).all())
