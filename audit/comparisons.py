"""Two snapshots compared over past documents: who each document would reach under one and
under the other.

`replays.py` compares a new rule set with what was actually dispatched; here both sides are
stored snapshots (or the data in force), so an admin sees what activating a snapshot would
change, or what an earlier activation changed, document by document. Each routed document
dated `since` or later is expanded twice as of its routed date and sender (each side reads it
with its own province's directory when national), and the recipient sets compared with
`rules.replay.diff`: `added` (with the reasons the `to` side gives) and `removed` (with why the
`to` side leaves it out). Nothing is sent and nothing is written: it is a report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from audit.replays import CHUNK, StoredDocument, routed_documents
from foundation.database import SessionFactory
from foundation.errors import ClerkError
from foundation.models import DataSnapshot
from router.data_in_force import KINDS, RoutingData
from router.recipients import RoutingRules
from rules.replay import diff

CURRENT = "current"


@dataclass
class Comparison:
    """The two sides (snapshot ids per kind) and the documents whose recipients differ."""

    before: dict[str, str]
    after: dict[str, str]
    since: dt.date
    documents_checked: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "from": self.before,
            "to": self.after,
            "since": self.since.isoformat(),
            "documents_checked": self.documents_checked,
            "documents_changed": len(self.changes),
            "changes": self.changes,
        }


async def side(session: AsyncSession, data: RoutingData, spec: str) -> RoutingRules:
    """The data one side names: `current` (the snapshots in force), or stored snapshot ids
    separated by commas (at most one directory and one rule set; a kind not named is the one
    in force). A 404 names an id that is not stored."""
    current = await data.current(session)
    if spec.strip() == CURRENT:
        return current
    ids = [part.strip() for part in spec.split(",") if part.strip()]
    if not ids:
        raise ClerkError(422, "bad_snapshot", "name a stored snapshot id, or 'current'.")
    query = select(col(DataSnapshot.id), col(DataSnapshot.kind)).where(
        col(DataSnapshot.id).in_(ids)
    )
    kinds = {found_id: kind for found_id, kind in (await session.exec(query)).all()}
    missing = [i for i in ids if i not in kinds]
    if missing:
        raise ClerkError(404, "unknown_snapshot",
                         f"No stored snapshot {', '.join(missing)}; import it first.")
    named: dict[str, str] = {}
    for snapshot_id in ids:
        if kinds[snapshot_id] in named:
            raise ClerkError(422, "bad_snapshot",
                             f"two {kinds[snapshot_id]} snapshots on one side: {spec}.")
        named[kinds[snapshot_id]] = snapshot_id
    wanted = {k: named.get(k) or current.snapshots.get(k, "") for k in KINDS}
    routing, _ = await data.of(session, wanted)
    return routing


async def compare(
    sessions: SessionFactory,
    data: RoutingData,
    before: str,
    after: str,
    since: dt.date,
    *,
    chunk: int = CHUNK,
) -> Comparison:
    """Every routed document dated `since` or later whose recipients differ between the
    data `before` names and the data `after` names (see `side`)."""
    async with sessions() as session:
        old, new = await side(session, data, before), await side(session, data, after)
    result = Comparison(dict(old.snapshots), dict(new.snapshots), since)
    async for documents, _ in routed_documents(sessions, since, chunk):
        result.documents_checked += len(documents)
        result.changes += await asyncio.to_thread(_changes, documents, old, new)
    return result


def _expand(
    document: StoredDocument, parsed: rules.Document, routing: RoutingRules
) -> tuple[rules.Expansion, rules.Directory]:
    directory = routing.directory_for(parsed, document.sender, document.as_of)
    sender = document.sender if directory.get(document.sender or "") else None
    expansion = rules.expand(parsed, directory, routing.ruleset, as_of=document.as_of,
                             sender=sender)
    return expansion, directory


def _changes(
    documents: list[StoredDocument], old: RoutingRules, new: RoutingRules
) -> list[dict[str, Any]]:
    """The documents of a chunk whose recipients differ (CPU only: run in a worker thread)."""
    out = []
    for document in documents:
        parsed = rules.read_document(document.text)
        before, _ = _expand(document, parsed, old)
        after, directory = _expand(document, parsed, new)
        change = diff({r.id: r.name for r in before.recipients}, before.rules_version, after,
                      directory, new.ruleset)
        if change.differs:
            out.append({
                "document_id": document.id,
                "number": document.number,
                "date": document.date.isoformat() if document.date else None,
                **change.to_json(),
            })
    return out
