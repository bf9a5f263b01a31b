"""Versioned data over HTTP: the stored snapshots of the directory and the rule set.

An admin imports a snapshot (the JSON `docroute directory export` writes); it is validated as
the service would load it and stored once under its content id, with the token that did it.
Auditors list, read and compare them. An admin makes a stored snapshot the one in force
(`POST .../activate`): from then on the router expands new documents with it."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Body, Response

from docroute.api.deps import CallerDep, ServiceDep, SessionDep, require
from docroute.api.schemas import (
    Activated,
    ActiveSnapshots,
    SnapshotDiff,
    SnapshotFiles,
    SnapshotRow,
    SnapshotStored,
    answers,
)
from docroute.snapshot_store import NotStoredError, activate, activations, listing, store, stored
from foundation.errors import ClerkError
from foundation.models import Role
from rules.snapshots import Snapshot, SnapshotError, agencies_of, diff, from_json, validate

api = APIRouter(tags=["snapshots"])


@api.get("/v1/admin/snapshots", **answers(list[SnapshotRow]))
async def snapshots(caller: CallerDep, session: SessionDep) -> list[dict[str, Any]]:
    """The stored snapshots, newest first (without their files)."""
    require(caller, Role.AUDITOR)
    active = {a.snapshot_id for a in (await activations(session)).values()}
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "imported_by": row.imported_by,
            "note": row.note,
            "created_at": row.created_at.isoformat(),
            "in_force": row.id in active,
        }
        for row in await listing(session)
    ]


@api.get("/v1/admin/snapshots/active", **answers(ActiveSnapshots))
async def in_force(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """Per kind, the activated snapshot in force (who activated it, when), or null: the
    service's own data files."""
    require(caller, Role.AUDITOR)
    active = await activations(session)
    return {
        kind: (
            {"id": row.snapshot_id, "activated_by": row.activated_by, "note": row.note,
             "activated_at": row.activated_at.isoformat()}
            if (row := active.get(kind)) else None
        )
        for kind in ("directory", "rules")
    }


@api.post("/v1/admin/snapshots/{snapshot_id}/activate", **answers(Activated))
async def activate_snapshot(
    caller: CallerDep, session: SessionDep, service: ServiceDep, snapshot_id: str,
    note: str | None = Body(None, embed=True, max_length=500),
) -> dict[str, Any]:
    """Route new documents with this stored snapshot (admin; recorded with the token)."""
    require(caller)
    by = f"token {caller.token_id} ({caller.role})"
    try:
        row = await activate(session, snapshot_id, by, note)
    except NotStoredError as error:
        raise ClerkError(404, "unknown_snapshot", f"{error}.") from error
    await session.commit()
    service.in_force_changed()  # this process's next submission sees it at once
    return {"id": snapshot_id, "kind": row.kind, "activated_by": by,
            "activated_at": row.activated_at.isoformat()}


@api.post("/v1/admin/snapshots", status_code=201, **answers(SnapshotStored),
          responses={200: {"model": SnapshotStored, "description": "already stored"}})
async def import_snapshot(
    caller: CallerDep, session: SessionDep, body: dict[str, Any], response: Response
) -> dict[str, Any]:
    """Validate and store a snapshot; 200 when the same content was already stored."""
    require(caller)
    try:
        snapshot = from_json(body, "body")
        size = await asyncio.to_thread(validate, snapshot)
    except SnapshotError as error:
        raise ClerkError(422, "bad_snapshot", "; ".join(error.problems)) from error
    by = f"token {caller.token_id} ({caller.role})"
    new = await store(session, snapshot, by, None)
    await session.commit()
    if not new:
        response.status_code = 200
    return {"id": snapshot.id, "kind": snapshot.kind, "stored": new, "size": size}


async def _get(session: SessionDep, snapshot_id: str) -> Snapshot:
    found = await stored(session, snapshot_id)
    if found is None:
        raise ClerkError(404, "unknown_snapshot", f"No stored snapshot {snapshot_id!r}.")
    return found


@api.get("/v1/admin/snapshots/{snapshot_id}", **answers(SnapshotFiles))
async def export_snapshot(
    caller: CallerDep, session: SessionDep, snapshot_id: str
) -> dict[str, Any]:
    """A stored snapshot in the form `docroute directory import` reads."""
    require(caller, Role.AUDITOR)
    return (await _get(session, snapshot_id)).to_json()


@api.get("/v1/admin/snapshots/{old}/diff/{new}", **answers(SnapshotDiff))
async def diff_snapshots(
    caller: CallerDep, session: SessionDep, old: str, new: str
) -> dict[str, Any]:
    """Agencies added, removed and changed (with the changed fields) from `old` to `new`."""
    require(caller, Role.AUDITOR)
    before, after = await _get(session, old), await _get(session, new)
    if "rules" in (before.kind, after.kind):
        raise ClerkError(422, "not_a_directory", "Only directory snapshots are compared.")
    try:
        old_agencies = await asyncio.to_thread(agencies_of, before)
        new_agencies = await asyncio.to_thread(agencies_of, after)
    except SnapshotError as error:
        raise ClerkError(422, "bad_snapshot", "; ".join(error.problems)) from error
    return diff(old_agencies, new_agencies).to_json()
