"""Why / why-not for a stored document: the rules engine's answer beside what was delivered.

The rules engine (`rules.explain`) answers from an expansion; the service also knows what was
actually delivered. A catch-up delivery of a replay (a backfill) is shown as such: the agency
receives the document, through replay R under rules version V, with the reasons that replay
gave, even when the service's current rules alone would not choose it. The expansion runs in a
worker thread: it is CPU work that would otherwise stall every request on the event loop.

The answer is given with the data the document was routed with (the snapshot ids its
expansion records, rebuilt from the stored snapshots) unless today's data is asked for
(`snapshot="current"`: the snapshots in force); `snapshots` in the answer says which.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from foundation.deliveries import delivery_view
from foundation.errors import ClerkError
from foundation.models import Delivery, Document
from foundation.models.audit import ReplayRun
from router.data_in_force import RoutingData
from router.recipients import RoutingRules
from rules.explain import explain

SNAPSHOT_CHOICES = ("routed", "current")


def routed_as_of(document: Document) -> dt.date | None:
    """The date the document was routed as of (its stored expansion's), else its own date."""
    stored = (document.expansion or {}).get("as_of")
    return dt.date.fromisoformat(stored) if isinstance(stored, str) else document.date


def _answer(
    document: Document, agency: str, directory: rules.Directory, ruleset: rules.RuleSet
) -> dict[str, Any]:
    """The rules engine's answer (CPU only: run in a worker thread)."""
    sender = document.sender if directory.get(document.sender or "") else None
    expansion = rules.expand(
        rules.read_document(document.text), directory, ruleset, routed_as_of(document), sender
    )
    return explain(expansion, agency, directory, ruleset).to_json()


async def explain_agency(
    session: AsyncSession,
    document: Document,
    agency: str,
    directory: rules.Directory,
    ruleset: rules.RuleSet,
) -> dict[str, Any]:
    """Why (or why not) `agency` receives `document`: a 404 for an id that names no agency and
    has no delivery; a backfilled delivery counts as received, and says from which replay."""
    delivery = (
        await session.exec(
            select(Delivery).where(
                col(Delivery.document_id) == document.id, col(Delivery.agency_id) == agency
            )
        )
    ).first()
    if delivery is None and directory.get(agency) is None:
        raise ClerkError(
            404, "unknown_agency", f"No agency has id {agency!r} in directory '{directory.id}'."
        )
    answer = await asyncio.to_thread(_answer, document, agency, directory, ruleset)
    entry = answer.get("agency") or {}
    if entry.get("origin"):
        # The directory file by name only: a server's file paths stay on the server.
        entry["origin"] = Path(entry["origin"]).name
    answer["delivery"] = delivery_view(delivery) if delivery is not None else None
    answer["document_rules_version"] = document.rules_version
    answer["current_rules_version"] = ruleset.version
    answer["backfill"] = None
    if delivery is not None and delivery.backfill_of:
        run = await session.get(ReplayRun, delivery.backfill_of)
        answer["backfill"] = {
            "replay_id": delivery.backfill_of,
            "rules_version": run.rules_version if run else None,
            "reasons": delivery.reasons,
        }
        if not answer["received"]:
            answer["summary"] = (
                f"{delivery.agency_name} receives the document through a catch-up delivery "
                f"of replay {delivery.backfill_of} (rules "
                f"{run.rules_version if run else 'unknown'}); under rules {ruleset.version} "
                f"alone it would not: {answer['summary']}"
            )
        answer["received"] = True
    return answer


async def routing_for(
    session: AsyncSession, data: RoutingData, document: Document, snapshot: str
) -> tuple[RoutingRules, dict[str, Any]]:
    """The data to answer about `document` with: the snapshots it was routed with
    (`routed`) or the ones in force today (`current`); and what the answer says about it."""
    if snapshot not in SNAPSHOT_CHOICES:
        raise ClerkError(422, "bad_snapshot",
                         f"snapshot must be 'routed' or 'current', not {snapshot!r}.")
    routed = (document.expansion or {}).get("snapshots") or {}
    notes: list[str] = []
    if snapshot == "routed" and routed:
        routing, notes = await data.of(session, routed)
    else:
        routing = await data.current(session)
        if snapshot == "routed":
            notes.append("the document records no snapshot (routed before snapshots were "
                         "kept, or not routed yet): answered with today's data")
    about = {
        "answered_with": snapshot,
        "directory": routing.snapshots.get("directory"),
        "rules": routing.snapshots.get("rules"),
        "routed_with": routed or None,
        "notes": notes,
    }
    return routing, about


async def explain_stored(
    session: AsyncSession, data: RoutingData, document: Document, agency: str,
    snapshot: str = "routed",
) -> dict[str, Any]:
    """Why (or why not) `agency` receives a stored document, answered with the data it was
    routed with, or with today's (`snapshot="current"`)."""
    routing, about = await routing_for(session, data, document, snapshot)
    as_of = routed_as_of(document)
    directory = await asyncio.to_thread(
        routing.directory_for, rules.read_document(document.text), document.sender, as_of
    )
    answer = await explain_agency(session, document, agency, directory, routing.ruleset)
    answer["snapshots"] = about
    return answer
