"""Replay a rule or directory change over past documents, and backfill what it adds.

Each routed document since a date is expanded again under the new rule set (and directory) as
of its own date and sender, and compared with the agencies it was actually dispatched to. A
replay is recorded with every difference. With `backfill`, each added agency gets a catch-up
delivery marked as a backfill of that replay; the unique (document, agency) pair makes a second
backfill send nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from foundation.database import SessionFactory, transaction
from foundation.models import Delivery, Document
from foundation.models.audit import ReplayRun
from router.resolutions import clerk_agencies
from router.routing import plan_deliveries
from rules.explain import explain

log = structlog.get_logger(__name__)
ACTOR = "audit-replay"


@dataclass
class ReplayResult:
    """The run, and how many catch-up deliveries it created."""

    run: ReplayRun
    documents_checked: int
    backfilled: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "replay_id": self.run.id,
            "rules": {"id": self.run.rules_id, "version": self.run.rules_version},
            "directory": self.run.directory_id,
            "since": self.run.since.isoformat(),
            "documents_checked": self.documents_checked,
            "documents_changed": len(self.changes),
            "backfilled": self.backfilled,
            "changes": self.changes,
        }


async def replay(
    sessions: SessionFactory,
    ruleset: rules.RuleSet,
    directory: rules.Directory,
    since: dt.date,
    *,
    backfill: bool = False,
    actor: str | None = None,
) -> ReplayResult:
    """Replay the change over every routed document dated `since` or later."""
    async with transaction(sessions) as session:
        documents = await _documents_since(session, since)
        dispatched = await _dispatched(session, [d.id for d in documents])
        changes = [
            change
            for document in documents
            if (change := _change(document, dispatched.get(document.id, {}), directory, ruleset))
        ]
        run = ReplayRun(
            id=str(uuid.uuid4()),
            rules_id=ruleset.id,
            rules_version=ruleset.version,
            directory_id=directory.id,
            since=since,
            actor=actor,
            changes=changes,
        )
        session.add(run)
        await session.flush()
        result = ReplayResult(run, len(documents), changes=changes)
        if backfill:
            result.backfilled = await _backfill(session, run, documents, changes)
    log.info(
        "replay",
        replay_id=run.id,
        checked=len(documents),
        changed=len(changes),
        backfilled=result.backfilled,
    )
    return result


async def _documents_since(session: AsyncSession, since: dt.date) -> list[Document]:
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    query = (
        select(Document)
        .where(
            col(Document.routed_at).is_not(None),
            or_(
                col(Document.date) >= since,
                and_(col(Document.date).is_(None), col(Document.created_at) >= start),
            ),
        )
        .order_by(col(Document.date), col(Document.created_at))
    )
    return list((await session.exec(query)).all())


async def _dispatched(session: AsyncSession, document_ids: list[str]) -> dict[str, dict[str, str]]:
    """Agency id -> name of every delivery, per document."""
    out: dict[str, dict[str, str]] = {}
    if not document_ids:
        return out
    rows = (
        await session.exec(select(Delivery).where(col(Delivery.document_id).in_(document_ids)))
    ).all()
    for delivery in rows:
        out.setdefault(delivery.document_id, {})[delivery.agency_id] = delivery.agency_name
    return out


def _change(
    document: Document,
    dispatched: dict[str, str],
    directory: rules.Directory,
    ruleset: rules.RuleSet,
) -> dict[str, Any] | None:
    as_of = _stored_as_of(document)
    new = rules.expand(
        rules.read_document(document.text),
        directory,
        ruleset,
        as_of=as_of,
        sender=document.sender if directory.get(document.sender or "") else None,
    )
    chosen = {r.id: r for r in new.recipients}
    # An agency the clerk named for an unresolved line is the clerk's choice, not the rules':
    # a rule change does not take it away.
    kept = clerk_agencies(document.resolutions)
    added = [r.to_json() for r in new.recipients if r.id not in dispatched]
    removed = [
        {"id": agency, "name": name, "why": explain(new, agency, directory, ruleset).summary}
        for agency, name in sorted(dispatched.items())
        if agency not in chosen and agency not in kept
    ]
    if not added and not removed:
        return None
    return {
        "document_id": document.id,
        "number": document.number,
        "date": document.date.isoformat() if document.date else None,
        "as_of": new.as_of.isoformat(),
        "old_rules_version": document.rules_version,
        "added": added,
        "removed": removed,
    }


def _stored_as_of(document: Document) -> dt.date | None:
    """The date the document was routed as of (so a replay judges it by the same day)."""
    stored = (document.expansion or {}).get("as_of")
    return dt.date.fromisoformat(stored) if isinstance(stored, str) else document.date


async def _backfill(
    session: AsyncSession,
    run: ReplayRun,
    documents: list[Document],
    changes: list[dict[str, Any]],
) -> int:
    by_id = {d.id: d for d in documents}
    note = f"backfill of replay {run.id} (rules {run.rules_version})"
    created = 0
    for change in changes:
        created += await plan_deliveries(
            session,
            by_id[change["document_id"]],
            change["added"],
            note,
            actor=ACTOR,
            backfill_of=run.id,
        )
    run.backfilled_at = run.created_at
    session.add(run)
    return created
