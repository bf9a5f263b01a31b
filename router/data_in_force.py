"""The data in force: which directory and rule set the router expands a document with.

The service starts with its files (the shipped national data, or DOCROUTE_DIRECTORY_PATH /
DOCROUTE_RULES_PATH): those are the *base*. An admin may make a stored snapshot (table
`data_snapshot`, imported with `docroute directory import`) the one in force
(`snapshot_activation`, latest row of a kind wins); from then on new documents are expanded
with it. Every expansion records the content ids it used, so an old document's why / why-not
and a replay can rebuild exactly that data from the stored snapshots (`RoutingData.of`).

Loading a snapshot (materialising its files, reading and indexing them) is CPU work done once
per snapshot pair, in a worker thread; a few pairs stay in memory.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Row, bindparam, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from foundation.database import SessionFactory, on_postgres, transaction
from foundation.models import DataSnapshot, SnapshotActivation
from foundation.models.clock import utcnow
from foundation.outbox import claim_message
from router.recipients import RoutingRules
from rules.defaults import HOME
from rules.national import directory_at, load_national
from rules.snapshots import Snapshot, materialize

KINDS = ("directory", "rules")
# Snapshot pairs kept loaded besides the base (a national directory is tens of MB indexed).
KEPT = 3


async def stored(session: AsyncSession, snapshot_id: str) -> Snapshot | None:
    """The stored snapshot with this id, or None."""
    row = await session.get(DataSnapshot, snapshot_id)
    return None if row is None else Snapshot(row.kind, dict(row.files))


async def is_stored(session: AsyncSession, snapshot_id: str) -> bool:
    """Whether a snapshot with this id is stored (without reading its files)."""
    query = select(col(DataSnapshot.id)).where(col(DataSnapshot.id) == snapshot_id)
    return (await session.exec(query)).first() is not None


async def activations(session: AsyncSession) -> dict[str, SnapshotActivation]:
    """The activation in force per kind (the latest of each), if any."""
    latest = (
        select(func.max(col(SnapshotActivation.id)))
        .group_by(col(SnapshotActivation.kind))
        .scalar_subquery()
    )
    query = select(SnapshotActivation).where(col(SnapshotActivation.id).in_(latest))
    return {row.kind: row for row in (await session.exec(query)).all()}


async def in_force(session: AsyncSession) -> dict[str, str]:
    """The activated snapshot id of each kind that has one (none: the service's own data)."""
    return {kind: row.snapshot_id for kind, row in (await activations(session)).items()}


# PostgreSQL: the router's claim of a message and the activations in force, in one round trip
# (each round trip costs the router about as much CPU as reading a 50-line document). The
# INSERT in a WITH waits for a concurrent claim of the same id as a plain one does, and the
# activations are read as of the statement's start, as `in_force` reads them.
_CLAIM_AND_READ = text(
    "WITH claimed AS (INSERT INTO processed_message (consumer, message_id, at) "
    "VALUES (:consumer, :message_id, :at) ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM claimed) AS claimed, active.kinds, active.ids "
    "FROM (SELECT array_agg(kind) AS kinds, array_agg(snapshot_id) AS ids "
    "FROM snapshot_activation WHERE id IN "
    "(SELECT max(id) FROM snapshot_activation GROUP BY kind)) AS active"
).bindparams(bindparam("at", type_=DateTime(timezone=True)))


async def claim_and_read(
    session: AsyncSession, consumer: str, message_id: str
) -> tuple[bool, dict[str, str]]:
    """(`claim_message`, `in_force`): whether this consumer claimed the message now (False:
    it was handled already), and the snapshots in force; one statement on PostgreSQL."""
    if not on_postgres(session):
        return await claim_message(session, consumer, message_id), await in_force(session)
    values = {"consumer": consumer, "message_id": message_id, "at": utcnow()}
    connection = await session.connection()
    row = (await connection.execute(_CLAIM_AND_READ, values)).one()
    return bool(row.claimed), dict(zip(row.kinds or (), row.ids or (), strict=True))


# PostgreSQL, outside a transaction: for each message of a batch, whether the router handled
# it already and the document it names; and the activations in force; in one round trip.
# Nothing is claimed or locked here: the plan's own statement claims the messages and routes
# a document only if no other message routed it meanwhile (router.routing), so both stay one
# statement each.
_READ_FOR_ROUTING = text(
    "SELECT active.kinds, active.ids, EXISTS (SELECT 1 FROM processed_message AS p "
    "WHERE p.consumer = :consumer AND p.message_id = asked.message_id) AS handled, "
    "found.id, found.text, found.sender, found.date, found.urgency, found.packet, "
    "found.resolutions, found.routed_at "
    "FROM (SELECT array_agg(kind) AS kinds, array_agg(snapshot_id) AS ids "
    "FROM snapshot_activation WHERE id IN "
    "(SELECT max(id) FROM snapshot_activation GROUP BY kind)) AS active "
    "CROSS JOIN unnest(CAST(:message_ids AS VARCHAR[]), CAST(:document_ids AS VARCHAR[])) "
    "WITH ORDINALITY AS asked(message_id, document_id, n) "
    "LEFT JOIN document AS found ON found.id = asked.document_id ORDER BY asked.n"
).columns(packet=JSON, resolutions=JSON)


async def read_for_routing(
    session: AsyncSession, consumer: str, asked: list[tuple[str, str]]
) -> tuple[dict[str, str], list[tuple[bool, Row[Any] | None]]]:
    """PostgreSQL: the snapshots in force, and for each (message id, document id) asked, in
    order: whether the consumer handled the message already, and the document's columns the
    router reads (None when there is no such document)."""
    values = {"consumer": consumer, "message_ids": [m for m, _ in asked],
              "document_ids": [d for _, d in asked]}
    connection = await session.connection()
    rows = (await connection.execute(_READ_FOR_ROUTING, values)).all()
    wanted = dict(zip(rows[0].kinds or (), rows[0].ids or (), strict=True)) if rows else {}
    return wanted, [(bool(r.handled), r if r.id is not None else None) for r in rows]


def load(
    directory: Snapshot | None, ruleset: Snapshot | None, base: RoutingRules
) -> RoutingRules:
    """The routing rules of a snapshot pair; a missing one is the base's (CPU: in a thread).

    A directory snapshot of the national data (it holds `national/provinces.yaml`) reads every
    document with its own province's directory, as the shipped data does."""
    home = base.national.home if base.national is not None else HOME
    chosen_directory, national = base.directory, base.national
    chosen_rules = base.ruleset
    ids = dict(base.snapshots)
    with tempfile.TemporaryDirectory(prefix="docroute-snapshot-") as folder:
        if directory is not None:
            root = materialize(directory, Path(folder) / "directory")
            if (root / "national" / "provinces.yaml").is_file():
                national = load_national(root, home)
                chosen_directory = national.directory(home)
            else:
                national, chosen_directory = None, directory_at(root)
            ids["directory"] = directory.id
        if ruleset is not None:
            chosen_rules = rules.load_ruleset(materialize(ruleset, Path(folder) / "rules"))
            ids["rules"] = ruleset.id
    return RoutingRules(chosen_directory, chosen_rules, national, ids)


@dataclass
class RoutingData:
    """The base routing rules and the snapshot pairs loaded so far, by their content ids."""

    base: RoutingRules
    _loaded: OrderedDict[tuple[str, ...], RoutingRules] = field(default_factory=OrderedDict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self, session: AsyncSession) -> RoutingRules:
        """The routing rules in force now: the activated snapshots, else the base."""
        routing, _ = await self.of(session, await in_force(session))
        return routing

    def rulesets(self) -> list[rules.RuleSet]:
        """The base's rule set and those of the pairs loaded so far (no database read)."""
        return [self.base.ruleset, *(routing.ruleset for routing in self._loaded.values())]

    def ready(self, ids: Mapping[str, str]) -> RoutingRules | None:
        """The routing rules of these snapshot ids when nothing needs loading (the base's data,
        or a pair loaded already), else None: the caller loads them with `of`."""
        key = self._key(ids)
        if key == self._key({}):
            return self.base
        routing = self._loaded.get(key)
        if routing is not None:
            self._loaded.move_to_end(key)
        return routing

    def _key(self, ids: Mapping[str, str]) -> tuple[str, ...]:
        """The content ids of each kind these ids name (a kind not named: the base's)."""
        return tuple(ids.get(k) or self.base.snapshots.get(k, "") for k in KINDS)

    async def of(
        self, session: AsyncSession, ids: Mapping[str, str]
    ) -> tuple[RoutingRules, list[str]]:
        """The routing rules of these snapshot ids (a kind not named: the base's), and a note
        for each id that is not stored (the base's data answers for it instead)."""
        notes: list[str] = []
        wanted = {k: ids[k] for k in KINDS if ids.get(k)}
        key = self._key(wanted)
        if key == self._key({}):
            return self.base, notes
        async with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key], notes
            found: dict[str, Snapshot | None] = {}
            for kind, snapshot_id in wanted.items():
                found[kind] = None
                if snapshot_id != self.base.snapshots.get(kind):
                    found[kind] = await stored(session, snapshot_id)
                    if found[kind] is None:
                        notes.append(f"the {kind} snapshot {snapshot_id} is not stored: "
                                     f"answered with the service's own {kind} files")
            routing = await asyncio.to_thread(
                load, found.get("directory"), found.get("rules"), self.base
            )
            if not notes:
                self._loaded[key] = routing
                while len(self._loaded) > KEPT:
                    self._loaded.popitem(last=False)
            return routing, notes


async def keep_base(sessions: SessionFactory, snapshots: list[Snapshot], by: str) -> int:
    """Store the service's own data files as snapshots (once per content), so documents
    routed with them stay explainable after the files change; how many were new."""
    added = 0
    for snapshot in snapshots:
        try:
            async with transaction(sessions) as session:
                if await is_stored(session, snapshot.id):
                    continue
                session.add(DataSnapshot(
                    id=snapshot.id, kind=snapshot.kind, files=snapshot.files, imported_by=by,
                    note="the service's own data files, kept when it started",
                ))
        except IntegrityError:  # another process stored the same content meanwhile
            continue
        added += 1
    return added


async def in_force_over(
    session: AsyncSession, directory_path: Path | None, rules_path: Path | None
) -> RoutingRules:
    """The routing rules in force for a process that keeps no `RoutingData` (a CLI command):
    the activated snapshots, else these files (the service's DOCROUTE_DIRECTORY_PATH and
    DOCROUTE_RULES_PATH, the shipped data when None)."""
    return await RoutingData(RoutingRules.load(directory_path, rules_path)).current(session)
