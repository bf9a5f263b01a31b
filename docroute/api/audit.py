"""The auditor's API: missed deliveries (JSON or CSV), scorecards, one document's audit,
why / why-not for an agency, replays of a rule change, and the history check."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from audit import exports, reports
from audit.comparisons import compare
from audit.explanations import explain_stored
from audit.replays import replay
from audit.verify import verify_histories
from docroute.api.deps import CallerDep, ServiceDep, SessionDep, require
from docroute.api.schemas import (
    Comparison,
    DocumentAudit,
    Explanation,
    Replay,
    Verification,
    answers,
)
from docroute.service import Service
from foundation.errors import ClerkError
from foundation.models import Document, Role
from foundation.models.clock import utcnow
from foundation.tokens import Caller
from rules.ruleset import RuleSetError, ruleset_from_text

api = APIRouter(tags=["audit"])
AUDITORS = (Role.AUDITOR,)
MAX_ROW = 2**31 - 1  # the largest row offset the API takes (PostgreSQL's integer)
States = Annotated[str | None, Query(description="comma-separated: " + ", ".join(reports.Finding))]


def _findings(value: str | None) -> frozenset[reports.Finding]:
    try:
        return reports.parse_findings(value)
    except ValueError as error:
        raise ClerkError(422, "bad_state", str(error)) from None


async def _kind_ids(
    kind: str | None, service: Service, session: AsyncSession
) -> frozenset[str] | None:
    """The agencies of this kind in the directory in force (an activated snapshot's, else the
    files'): one a snapshot added is counted, one it removed is not. None: every agency."""
    if kind is None:
        return None  # no filter: no need to read the activations in force
    directory = (await service.routing_now(session)).directory
    try:
        return reports.agencies_of_kind(directory, kind)
    except ValueError as error:
        raise ClerkError(422, "bad_kind", str(error)) from None


def _as_csv(format: str) -> bool:
    if format not in ("json", "csv"):
        raise ClerkError(400, "bad_format", f"format must be json or csv, not {format!r}.")
    return format == "csv"


def _csv_or_json(
    rows: list[reports.MissedRow] | list[reports.Score], as_csv: bool, row_type: type[Any],
    name: str,
) -> Response | list[dict[str, Any]]:
    if as_csv:
        headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
        return PlainTextResponse(
            exports.to_csv(rows, row_type), media_type="text/csv; charset=utf-8", headers=headers
        )
    return [asdict(r) for r in rows]


@api.get("/v1/audit/missed", **answers(list[reports.MissedRow]),
         responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                          "description": "JSON rows, or a CSV file with format=csv"}})
async def missed(
    caller: CallerDep,
    session: SessionDep,
    service: ServiceDep,
    agency: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    sender: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    state: States = None,
    format: str = "json",
    limit: int = Query(1000, ge=1, le=100_000),
    # Bounded so every stack takes it (SQLite's integers are 64-bit): a larger one is a 422.
    offset: int = Query(0, ge=0, le=MAX_ROW),
) -> Response | list[dict[str, Any]]:
    """Deliveries not delivered, delivered but unconfirmed past their deadline, rejected, or
    confirmed late. `format=csv` gives a spreadsheet."""
    require(caller, *AUDITORS)
    query = reports.MissedQuery(
        now=utcnow(),
        findings=_findings(state),
        agency=agency,
        agency_ids=await _kind_ids(kind, service, session),
        category=category,
        sender=sender,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    as_csv = _as_csv(format)
    rows = await reports.missed(session, query)
    return _csv_or_json(rows, as_csv, reports.MissedRow, "missed")


@api.get("/v1/audit/scorecard", **answers(list[reports.Score]),
         responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                          "description": "JSON rows, or a CSV file with format=csv"}})
async def scorecard(
    caller: CallerDep,
    session: SessionDep,
    service: ServiceDep,
    kind: str | None = None,
    format: str = "json",
) -> Response | list[dict[str, Any]]:
    """Per agency: received, confirmed on time, confirmed late, rejected, missing."""
    require(caller, *AUDITORS)
    as_csv = _as_csv(format)
    rows = await reports.scorecard(session, utcnow(), await _kind_ids(kind, service, session))
    return _csv_or_json(rows, as_csv, reports.Score, "scorecard")


async def _document(session: SessionDep, document_id: str) -> Document:
    document = await session.get(Document, document_id)
    if document is None:
        raise ClerkError(404, "document_not_found", f"No document with id {document_id}.")
    return document


@api.get("/v1/audit/documents/{document_id}", **answers(DocumentAudit))
async def document_audit(
    caller: CallerDep, session: SessionDep, document_id: str
) -> dict[str, Any]:
    """Who the rules expected, who was dispatched to, who confirmed."""
    require(caller, *AUDITORS)
    return (await reports.document_audit(session, await _document(session, document_id))).to_json()


async def _explanation(
    session: SessionDep, service: ServiceDep, caller: Caller, document_id: str, agency: str,
    snapshot: str = "routed",
) -> dict[str, Any]:
    document = await _document(session, document_id)
    if caller.role == Role.SENDER and document.sender != caller.agency_id:
        raise ClerkError(403, "forbidden", "A sending office can ask only about its own documents.")
    return await explain_stored(session, service.data, document, agency, snapshot)


Snapshot = Annotated[str, Query(
    description="'routed' (default): answer with the directory and rule set the document was "
                "routed with; 'current': with the ones in force today",
)]


@api.get("/v1/documents/{document_id}/recipients/{agency}/why", **answers(Explanation))
async def why(
    caller: CallerDep, session: SessionDep, service: ServiceDep, document_id: str, agency: str,
    snapshot: Snapshot = "routed",
) -> dict[str, Any]:
    """The lines, rules, rule-set version and directory entry that made `agency` a recipient."""
    require(caller, *AUDITORS, Role.SENDER)
    answer = await _explanation(session, service, caller, document_id, agency, snapshot)
    if not answer["received"] and answer["delivery"] is None:
        raise ClerkError(
            404,
            "not_a_recipient",
            f"{agency} is not a recipient of this document; ask .../why-not.",
        )
    return answer


@api.get("/v1/documents/{document_id}/recipients/{agency}/why-not", **answers(Explanation))
async def why_not(
    caller: CallerDep, session: SessionDep, service: ServiceDep, document_id: str, agency: str,
    snapshot: Snapshot = "routed",
) -> dict[str, Any]:
    """For an agency that is not a recipient: its categories, the lines that came close, and
    what kept it out (a policy flag, its validity dates, the scope). Answered with the data the
    document was routed with, or with today's (`?snapshot=current`)."""
    require(caller, *AUDITORS, Role.SENDER)
    return await _explanation(session, service, caller, document_id, agency, snapshot)


class ReplayRequest(BaseModel):
    """A rule set (its YAML text) to replay over documents dated `since` or later."""

    rules_yaml: str = Field(description="the new rule set, as the YAML file's text")
    since: dt.date
    backfill: bool = False


@api.post("/v1/audit/replays", **answers(Replay))
async def replays(caller: CallerDep, service: ServiceDep, body: ReplayRequest) -> dict[str, Any]:
    """Every past document whose recipients would differ; `backfill` (admin) sends catch-ups."""
    require(caller, *AUDITORS)
    if body.backfill and caller.role != Role.ADMIN:
        raise ClerkError(403, "forbidden", "Only an admin token can backfill deliveries.")
    try:
        ruleset = ruleset_from_text(body.rules_yaml, "rules_yaml")
    except RuleSetError as error:
        raise ClerkError(422, "bad_rules", "; ".join(error.problems)) from error
    result = await replay(
        service.sessions,
        ruleset,
        (await service.routing_now()).directory,  # the directory in force
        body.since,
        backfill=body.backfill,
        actor=f"token {caller.token_id} ({caller.role})",
    )
    return result.to_json()


class CompareRequest(BaseModel):
    """Two sides to compare over documents dated `since` or later: stored snapshot ids
    (comma-separated: a directory and/or a rule set; a kind not named is the one in force), or
    'current'."""

    before: str = Field(alias="from", max_length=200)
    after: str = Field(alias="to", max_length=200)
    since: dt.date


@api.post("/v1/audit/replays/compare", **answers(Comparison))
async def compare_snapshots(
    caller: CallerDep, service: ServiceDep, body: CompareRequest
) -> dict[str, Any]:
    """Per routed document, the agencies added and removed from one snapshot to the other."""
    require(caller, *AUDITORS)
    result = await compare(service.sessions, service.data, body.before, body.after, body.since)
    return result.to_json()


@api.get("/v1/audit/verify", **answers(Verification))
async def verify(caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """Check every delivery's hash-chained history; name each edited, inserted or deleted event."""
    require(caller, *AUDITORS)
    checked, breaks = await verify_histories(service.sessions)
    return {
        "deliveries_checked": checked,
        "intact": not breaks,
        "breaks": [
            {
                "delivery_id": b.delivery_id,
                "event_id": b.brk.event_id,
                "seq": b.brk.seq,
                "kind": b.brk.kind,
                "detail": b.brk.detail,
            }
            for b in breaks
        ],
    }
