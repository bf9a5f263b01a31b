"""Replay a rule or directory change over past documents, and backfill what it adds.

Each routed document since a date is expanded again under the new rule set (and directory) as
of its own date and sender, and compared with the agencies it was actually dispatched to
(`rules.replay.diff`, the one recipient diff). A replay is recorded with every difference. With
`backfill`, each added agency gets a catch-up delivery marked as a backfill of that replay; the
unique (document, agency) pair makes a second backfill send nothing.

A replay never holds the writer: documents are read in chunks of `CHUNK`, each in its own short
read (only the columns the diff needs), the expansions run in a worker thread between reads,
and each backfilled document is planned in its own short transaction. On SQLite, where every
transaction takes the write lock, one transaction over every document since a date would stop
the whole service for the length of the replay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import and_, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from foundation.calendar import VIETNAM
from foundation.database import SessionFactory, transaction
from foundation.models import Delivery, Document
from foundation.models.audit import ReplayRun
from foundation.models.clock import utcnow
from router.recipients import on_sending_day, sending_day
from router.resolutions import clerk_agencies
from router.routing import plan_deliveries
from rules.replay import Change, diff

log = structlog.get_logger(__name__)
ACTOR = "audit-replay"
CHUNK = 200


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


@dataclass(frozen=True)
class StoredDocument:
    """The columns of a routed document that a replay compares (not its whole row)."""

    id: str
    number: str | None
    date: dt.date | None
    sender: str | None
    text: str
    rules_version: str | None
    routed_as_of: str | None  # the `as_of` of its stored expansion
    created_at: dt.datetime
    resolutions: list[dict[str, Any]] | None  # the clerk's decisions on unresolved lines

    @property
    def sent_on(self) -> dt.date:
        """The day it went out (Vietnam's date when it was accepted)."""
        created = self.created_at
        aware = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
        return aware.astimezone(VIETNAM).date()

    @property
    def as_of(self) -> dt.date | None:
        """The date it was routed as of (so a replay judges it by the same day)."""
        return dt.date.fromisoformat(self.routed_as_of) if self.routed_as_of else self.date


async def replay(
    sessions: SessionFactory,
    ruleset: rules.RuleSet,
    directory: rules.Directory,
    since: dt.date,
    *,
    backfill: bool = False,
    actor: str | None = None,
    chunk: int = CHUNK,
) -> ReplayResult:
    """Replay the change over every routed document dated `since` or later."""
    checked, changes = 0, []
    async for documents, dispatched in routed_documents(sessions, since, chunk):
        checked += len(documents)
        changes += await asyncio.to_thread(_changes, documents, dispatched, directory, ruleset)
    run = ReplayRun(
        id=str(uuid.uuid4()),
        rules_id=ruleset.id,
        rules_version=ruleset.version,
        directory_id=directory.id,
        since=since,
        actor=actor,
        changes=changes,
    )
    async with transaction(sessions) as session:
        session.add(run)
    result = ReplayResult(run, checked, changes=changes)
    if backfill:
        result.backfilled = await _backfill(sessions, run, changes, directory)
    log.info(
        "replay",
        replay_id=run.id,
        checked=checked,
        changed=len(changes),
        backfilled=result.backfilled,
    )
    return result


async def routed_documents(
    sessions: SessionFactory, since: dt.date, size: int
) -> AsyncIterator[tuple[list[StoredDocument], dict[str, dict[str, str]]]]:
    """The routed documents since `since`, `size` at a time in submission order, each chunk
    with the agencies it was dispatched to; every chunk is its own short read."""
    after: tuple[dt.datetime, str] | None = None
    while True:
        async with sessions() as session:
            rows = (await session.exec(_documents_query(since, after, size))).all()
            documents = [StoredDocument(*row) for row in rows]
            dispatched = await _dispatched(session, [d.id for d in documents])
        if not documents:
            return
        yield documents, dispatched
        if len(documents) < size:
            return
        after = (documents[-1].created_at, documents[-1].id)


def _documents_query(since: dt.date, after: tuple[dt.datetime, str] | None, size: int) -> Any:
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    created, ident = col(Document.created_at), col(Document.id)
    query = select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
        ident,
        col(Document.number),
        col(Document.date),
        col(Document.sender),
        col(Document.text),
        col(Document.rules_version),
        col(Document.expansion)["as_of"].as_string(),
        created,
        col(Document.resolutions),
    ).where(
        col(Document.routed_at).is_not(None),
        or_(
            col(Document.date) >= since,
            and_(col(Document.date).is_(None), created >= start),
        ),
    )
    if after is not None:
        query = query.where(tuple_(created, ident) > tuple_(*after))
    return query.order_by(created, ident).limit(size)


async def _dispatched(
    session: AsyncSession, document_ids: list[str]
) -> dict[str, dict[str, str]]:
    """Agency id -> name of every delivery, per document (three columns only)."""
    out: dict[str, dict[str, str]] = {}
    if not document_ids:
        return out
    query = select(
        col(Delivery.document_id), col(Delivery.agency_id), col(Delivery.agency_name)
    ).where(col(Delivery.document_id).in_(document_ids))
    for document_id, agency_id, agency_name in (await session.exec(query)).all():
        out.setdefault(document_id, {})[agency_id] = agency_name
    return out


def _changes(
    documents: list[StoredDocument],
    dispatched: dict[str, dict[str, str]],
    directory: rules.Directory,
    ruleset: rules.RuleSet,
) -> list[dict[str, Any]]:
    """The changed documents of a chunk (CPU only: run in a worker thread)."""
    out = []
    for document in documents:
        new = rules.expand(
            rules.read_document(document.text),
            directory,
            ruleset,
            as_of=document.as_of,
            sender=document.sender if directory.get(document.sender or "") else None,
        )
        before = dispatched.get(document.id, {})
        change = diff(before, document.rules_version, new, directory, ruleset)
        added, removed = _as_sent(change, new, before, directory, document.sent_on)
        # An agency the clerk named for an unresolved line is the clerk's choice, not the
        # rules': a rule change does not take it away.
        kept = clerk_agencies(document.resolutions)
        removed = [r for r in removed if r["id"] not in kept]
        if added or removed:
            out.append({
                "document_id": document.id,
                "number": document.number,
                "date": document.date.isoformat() if document.date else None,
                "as_of": change.as_of.isoformat(),
                "old_rules_version": document.rules_version,
                "added": added,
                "removed": removed,
            })
    return out


def _as_sent(
    change: Change,
    new: rules.Expansion,
    before: dict[str, str],
    directory: rules.Directory,
    day: dt.date,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The change as it would have been dispatched: the router sends to the bodies that exist
    on the sending day (successors of abolished ones), so neither an abolished body that was
    replaced nor the successor that replaced it is a difference."""
    rules_version = new.rules_version
    added, _ = on_sending_day(
        {"recipients": [a.to_json() for a in change.added], "rules_version": rules_version},
        directory,
        day,
    )
    heirs, _ = on_sending_day(new.to_json(), directory, day)
    kept = {h["id"] for h in heirs}
    return (
        [a for a in added if a["id"] not in before],
        [r.to_json() for r in change.removed if r.id not in kept],
    )


async def _backfill(
    sessions: SessionFactory,
    run: ReplayRun,
    changes: list[dict[str, Any]],
    directory: rules.Directory,
) -> int:
    """One short transaction per changed document; agencies that got a delivery meanwhile
    (another backfill, a second replay) are left out, so nothing is sent twice."""
    note = f"backfill of replay {run.id} (rules {run.rules_version})"
    created = 0
    for change in changes:
        if not change["added"]:
            continue
        async with transaction(sessions) as session:
            document = await session.get(Document, change["document_id"])
            if document is None:
                continue
            have = set((await _dispatched(session, [document.id])).get(document.id, {}))
            # Never to a body abolished before today: its successor, or nobody.
            heirs, _ = on_sending_day(
                {"recipients": change["added"], "rules_version": run.rules_version},
                directory,
                sending_day(),
            )
            missing = [a for a in heirs if a["id"] not in have]
            created += await plan_deliveries(
                session, document, missing, note, actor=ACTOR, backfill_of=run.id
            )
    async with transaction(sessions) as session:
        stored = await session.get(ReplayRun, run.id)
        if stored is not None:
            stored.backfilled_at = utcnow()
            session.add(stored)
    return created
